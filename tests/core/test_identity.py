"""The one ownership rule: staff may act on anyone's data, a user on their own, a guest on none."""

from __future__ import annotations

import pytest

from core.errors import Forbidden, NotFound
from core.identity import Identity

ALICE = Identity(1, "Alice", False)
STAFF = Identity(2, "Staff", True)
GUEST = Identity.guest()


def test_a_user_may_act_on_their_own_data_only():
    assert ALICE.may_act_on(1) and not ALICE.may_act_on(2)
    assert ALICE.scope == 1


def test_staff_may_act_on_anyones_data():
    assert STAFF.may_act_on(1) and STAFF.may_act_on(2)
    assert STAFF.scope is None


def test_a_guest_owns_nothing():
    assert GUEST.is_guest and GUEST.guest_name == GUEST.name
    assert not GUEST.may_act_on(None) and not GUEST.may_act_on(1)


def test_acting_for_someone_else_is_not_found_unless_staff():
    assert ALICE.owner_for(None) == 1 and ALICE.owner_for(1) == 1
    with pytest.raises(NotFound):
        ALICE.owner_for(2)
    assert STAFF.owner_for(1) == 1
    assert ALICE.list_scope(None) == 1 and STAFF.list_scope(None) is None


def test_staff_only_use_cases_refuse_a_user():
    STAFF.require_staff()
    with pytest.raises(Forbidden):
        ALICE.require_staff()
