"""The access rule of `ctexchange.domain.access`, rendered as a SQL condition.

Lists, counts, searches and exports filter in the database so that pagination and counts never include
what the caller may not see. This is the only SQL rendering of the rule; the contract suite checks it
against `ctexchange.domain.access.may_see` for every marking, ownership, group and recipient case.
"""

from __future__ import annotations

from ctexchange.domain.access import Audience
from ctexchange.domain.markings import Marking
from ctexchange.store.db import Params


def visible_condition(alias: str, audience: Audience | None, *, has_recipients: bool) -> tuple[str, Params]:
    """Return a WHERE fragment and its parameters limiting rows of `alias` to `audience`.

    `alias` must have columns org_id, sharing_group_id and a marking column (`marking`, or
    `default_marking` for collections); `has_recipients` says whether RED recipients apply (signals).
    """
    if audience is None:
        return "1 = 1", {}
    marking = f"{alias}.marking" if has_recipients else f"{alias}.default_marking"
    params: dict[str, object] = {
        "v_org": str(audience.org_id),
        "v_user": None if audience.user_id is None else str(audience.user_id),
        "v_clear": Marking.CLEAR.value,
        "v_green": Marking.GREEN.value,
        "v_amber": Marking.AMBER.value,
        "v_strict": Marking.AMBER_STRICT.value,
        "v_red": Marking.RED.value,
    }
    groups = sorted(str(g) for g in audience.group_ids)
    params.update({f"v_g{i}": g for i, g in enumerate(groups)})
    group_list = ", ".join(f":v_g{i}" for i in range(len(groups))) or "NULL"
    clauses = [
        f"{alias}.org_id = :v_org",
        f"{marking} IN (:v_clear, :v_green)",
        f"({marking} IN (:v_amber, :v_strict) AND {alias}.sharing_group_id IN ({group_list}))",
    ]
    if has_recipients:
        clauses.append(
            f"({marking} = :v_red AND EXISTS (SELECT 1 FROM signal_recipients r "
            f"WHERE r.signal_id = {alias}.id AND r.user_id = :v_user))"
        )
    return "(" + " OR ".join(clauses) + ")", params
