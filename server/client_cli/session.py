"""The REST side of the client: signing in, the tokens held (in memory only), the ws-tokens.

Signed in with --email/--password, each (re)connect presents a fresh one-time ws-token and
the access token is refreshed when it runs out, so a watch can run for hours. With --token
the token is presented as is and the session ends when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt

from server.client_cli.options import ClientError

# A connect presenting this is refused by the server (invalid_token): we could not get a
# ws-token, and connecting with none would make a /chat socket a guest instead of failing.
NO_TOKEN = "ws-token-unavailable"


def token_expiry(token: str | None) -> float:
    """The `exp` of a JWT (unverified: the server verifies, we only plan refreshes)."""
    if not token:
        return 0.0
    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    except jwt.PyJWTError:
        return 0.0


@dataclass
class Session:
    """The REST side: who we are and the tokens we hold (in memory only)."""

    url: str
    http: aiohttp.ClientSession
    access_token: str | None = None
    refresh_token: str | None = None
    guest: bool = False
    last_error: str | None = None
    _refreshing: asyncio.Task | None = field(default=None, repr=False)

    async def request(
        self, method: str, path: str, body: Any = None, *, auth: bool = True, retry: bool = True
    ) -> Any:
        headers = {}
        if auth and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            async with self.http.request(
                method, f"{self.url}/api/v1{path}", json=body, headers=headers
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ClientError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None
        data = None
        with contextlib.suppress(ValueError):
            data = json.loads(text) if text else None
        if status < 400:
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        if auth and retry and error.get("code") == "token_expired" and self.refresh_token:
            # e.g. a reconnect after a long outage: renew the access token once and retry.
            await self.refresh()
            return await self.request(method, path, body, auth=auth, retry=False)
        message = f"{error.get('code', status)}: {error.get('message', text[:200])}"
        if error.get("fields"):
            message += f" {json.dumps(error['fields'])}"
        raise ClientError(f"{method} {path} failed: {message}")

    async def login(self, email: str, password: str) -> dict:
        answer = await self.request(
            "POST", "/auth/login", {"email": email, "password": password}, auth=False
        )
        self.access_token, self.refresh_token = answer["access_token"], answer["refresh_token"]
        return answer["user"]

    async def refresh(self) -> str:
        """A new access token (concurrent callers share one request)."""
        if self._refreshing is None or self._refreshing.done():

            async def swap() -> str:
                if not self.refresh_token:
                    raise ClientError("no refresh token held (signed in with --token)")
                answer = await self.request(
                    "POST", "/auth/refresh", {"refresh_token": self.refresh_token}, auth=False
                )
                self.access_token = answer["access_token"]
                self.refresh_token = answer["refresh_token"]
                return self.access_token

            self._refreshing = asyncio.ensure_future(swap())
        return await asyncio.shield(self._refreshing)

    async def socket_auth(self) -> dict | None:
        """The handshake auth of each (re)connect."""
        if self.guest:
            return None
        if not self.refresh_token:  # --token: present it as is
            return {"token": self.access_token}
        try:
            answer = await self.request("POST", "/auth/ws-token")
        except ClientError as exc:
            self.last_error = str(exc)
            return {"token": NO_TOKEN}
        return {"token": answer["ws_token"]}


@dataclass
class Credentials:
    email: str | None = None
    password: str | None = None
    token: str | None = None


async def open_session(url: str, creds: Credentials, namespace: str) -> Session:
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    session = Session(url=url.rstrip("/"), http=http)
    try:
        if creds.token:
            session.access_token = creds.token
        elif creds.email:
            if creds.password is None:
                raise ClientError("--email needs --password (or a terminal to ask on)")
            await session.login(creds.email, creds.password)
        elif namespace == "/chat":
            session.guest = True
        else:
            raise ClientError(f"{namespace} needs --email/--password or --token")
    except BaseException:
        await http.close()
        raise
    return session
