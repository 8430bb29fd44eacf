from __future__ import annotations

import pytest

from models.users import User


@pytest.fixture
async def staff_token(http):
    from tests.recovery.support import register

    body = await register(http)
    await User.filter(id=body["user"]["id"]).update(is_staff=True)
    return body["access_token"]
