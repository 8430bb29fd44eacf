"""Users: the account model, its public shape, and the services that create and change it."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import EmailStr, Field, field_validator
from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from core.errors import Conflict, Invalid, NotFound, Unauthorized
from models.common import Payload

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that timing does not tell which emails
    exist. Made on first use, not at import: hashing costs every process ~0.1-0.5 s at start."""
    return _hasher.hash("roomcast-dummy-password")


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    mobile = fields.CharField(max_length=32, default="")
    is_staff = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.email)


def display_name(first_name: str, last_name: str, email: str) -> str:
    """First and last name, else the part of the email before `@`."""
    full = f"{first_name} {last_name}".strip()
    return full or email.split("@", 1)[0]


def public_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
    }


def brief_user(user: User) -> dict[str, Any]:
    """The `{id, name, is_staff}` shape used in chat authors and presence."""
    return {"id": user.id, "name": user.display_name, "is_staff": user.is_staff}


async def brief_users(ids: list[int]) -> list[dict[str, Any]]:
    """`brief_user` of many users by id, in id order; reads only the columns it needs (a
    presence list of a 1000-member room must not build 1000 full model objects)."""
    rows = (
        await User.filter(id__in=ids)
        .order_by("id")
        .values("id", "first_name", "last_name", "email", "is_staff")
    )
    return [
        {
            "id": row["id"],
            "name": display_name(row["first_name"], row["last_name"], row["email"]),
            "is_staff": bool(row["is_staff"]),
        }
        for row in rows
    ]


class Registration(Payload):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=8, max_length=1024)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    mobile: str = Field(default="", max_length=32)

    @field_validator("first_name", "last_name", "mobile")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class Credentials(Payload):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class UserChange(Payload):
    is_active: bool | None = None
    is_staff: bool | None = None


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow (tens of ms, far more under load); in a worker thread it
    # does not stall every socket of this node while one user logs in.
    return await asyncio.to_thread(_hasher.hash, password)


async def create_user(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    mobile: str = "",
    is_staff: bool = False,
    is_active: bool = True,
) -> User:
    if len(password) < 8:
        raise Invalid("password too short", fields={"password": "at least 8 characters"})
    email = email.strip().lower()
    if await User.filter(email=email).exists():
        raise Conflict("email already registered", fields={"email": "already registered"})
    try:
        return await User.create(
            email=email,
            password_hash=await hash_password(password),
            first_name=first_name,
            last_name=last_name,
            mobile=mobile,
            is_staff=is_staff,
            is_active=is_active,
        )
    except IntegrityError:
        raise Conflict("email already registered", fields={"email": "already registered"}) from None


async def authenticate(*, email: str, password: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    try:
        await asyncio.to_thread(
            _hasher.verify, user.password_hash if user else _dummy_hash(), password
        )
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong email or password") from None
    if user is None:
        raise Unauthorized("wrong email or password")
    if not user.is_active:
        raise Unauthorized("this account is deactivated")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


async def get_user(*, user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("user")
    return user


async def list_users(*, limit: int = 100, offset: int = 0) -> list[User]:
    return await User.all().order_by("id").offset(offset).limit(limit)


async def change_user(*, user_id: int, change: UserChange) -> tuple[User, bool]:
    """Apply a staff change; the flag says whether the user was just deactivated."""
    user = await get_user(user_id=user_id)
    deactivated = change.is_active is False and user.is_active
    updates = change.model_dump(exclude_none=True)
    for key, value in updates.items():
        setattr(user, key, value)
    if updates:
        await user.save(update_fields=list(updates))
    return user, deactivated
