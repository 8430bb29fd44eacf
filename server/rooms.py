"""Room names, in one place."""

STAFF = "staff"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def login_room(login_id: str) -> str:
    return f"login:{login_id}"
