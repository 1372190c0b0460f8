"""The access predicates agree with DESIGN.md's table on every combination."""

from __future__ import annotations

import itertools
from uuid import uuid4

from ctexchange.domain.access import Audience, may_see
from ctexchange.domain.markings import Marking


def test_table() -> None:
    """Owner always; CLEAR/GREEN everyone; AMBER(+STRICT) the group; RED the named users only."""
    owner, other, group, user = uuid4(), uuid4(), uuid4(), uuid4()
    for marking, in_group, named in itertools.product(Marking, [True, False], [True, False]):
        audience = Audience(other, user, frozenset({group}) if in_group else frozenset())
        recipients = {user} if named else set()
        seen = may_see(
            audience, marking=marking, owner_org_id=owner, sharing_group_id=group, recipient_ids=recipients
        )
        expected = {
            Marking.CLEAR: True,
            Marking.GREEN: True,
            Marking.AMBER: in_group,
            Marking.AMBER_STRICT: in_group,
            Marking.RED: named,
        }[marking]
        assert seen is expected, (marking, in_group, named)
        assert may_see(
            Audience(owner, None, frozenset()), marking=marking, owner_org_id=owner, sharing_group_id=None
        )


def test_amber_without_group_is_owner_only() -> None:
    """An AMBER signal whose collection has no sharing group is seen by its owner alone."""
    audience = Audience(uuid4(), uuid4(), frozenset({uuid4()}))
    assert not may_see(audience, marking=Marking.AMBER, owner_org_id=uuid4(), sharing_group_id=None)
