"""The registry commands that set the plan's organisation up, each with the person who sends it:
the province's board builds the tree and carries out the reform, the commune's standing committee
authorises the cement company's committee, grassroots staff keep the rolls and localities, the
boards of the committees above assign quotas and record their classes (a committee that has ended
since, the district, through the province that holds its work today).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketnap.operations.demo.plan import Plan
from ketnap.services.gateway.access import Role

BOARD, STAFF, STANDING = Role.ORGANISATION_BOARD, Role.GRASSROOTS_STAFF, Role.STANDING_COMMITTEE


@dataclass(frozen=True)
class Act:
    command: str
    body: dict[str, Any]
    key: str
    role: Role
    seat: str
    """The organisation of the person sending it (the registry checks it holds the unit acted on today)."""


def _today(plan: Plan, seat: str) -> str:
    return plan.tree.holder(seat, plan.reference)


def organisation_acts(plan: Plan) -> tuple[list[Act], list[Act], list[Act]]:
    """(the tree, in date order), (the rolls, independent of each other), (the rest, in order)."""
    return _tree(plan), _rolls(plan), _the_rest(plan)


def _tree(plan: Plan) -> list[Act]:
    tree = plan.tree
    acts = [
        Act("establish_organisation", {
            "code": u.code, "name": u.name, "kind": u.kind, "parent": u.parent, "effective_from": u.established_on.isoformat(),
            "decision_number": u.decision_number,
        }, f"org:{u.code}", BOARD, u.code if u.parent is None else tree.seat(BOARD, u.parent, u.established_on))
        for u in plan.units
    ]
    acts += [
        Act("move_organisation", {"code": m.code, "parent": m.parent, "effective_from": m.on.isoformat(), "decision_number": m.decision_number},
            f"move:{m.code}", BOARD, plan.province)
        for m in plan.moves
    ]
    acts += [
        Act("dissolve_organisation", {"code": e.code, "effective_from": e.on.isoformat(), "decision_number": e.decision_number,
                                      "reason": e.reason}, f"dissolve:{e.code}", BOARD, plan.province)
        for e in plan.dissolutions
    ]
    acts += [
        Act("grant_admission_authority", {"code": g.code, "decision_number": g.decision_number, "decision_date": g.decision_date.isoformat(),
                                          "effective_from": g.effective_from.isoformat()}, f"authority:{g.code}", STANDING, g.granted_by)
        for g in plan.authorisations
    ]
    return acts


def _rolls(plan: Plan) -> list[Act]:
    return [
        Act("register_member", {
            "citizen_id": m.person.citizen_id, "full_name": m.person.full_name, "organisation": m.cell, "kind": "official",
            "effective_from": m.since.isoformat(), "admitted_on": m.admitted_on.isoformat(), "official_since": m.official_since.isoformat(),
        }, f"member:{m.person.citizen_id}", STAFF, plan.tree.seat(STAFF, m.cell, m.since))
        for m in plan.members
    ]


def _the_rest(plan: Plan) -> list[Act]:
    tree = plan.tree
    cell_of = {m.person.citizen_id: m.cell for m in plan.members}
    acts = [
        Act("change_member_status",
            {"citizen_id": c.citizen_id, "status": c.status, "effective_from": c.on.isoformat(), "reason": c.reason},
            f"status:{c.citizen_id}", STAFF, _today(plan, tree.seat(STAFF, cell_of[c.citizen_id], c.on)))
        for c in plan.status_changes
    ]
    acts += [
        Act("appoint_committee_member", {"organisation": s.organisation, "citizen_id": s.citizen_id, "role": s.role,
                                         "effective_from": s.since.isoformat()},
            f"seat:{s.organisation}:{s.citizen_id}", BOARD, _today(plan, tree.seat(BOARD, s.organisation, s.since)))
        for s in plan.seats
    ]
    acts += [
        Act("transfer_member", {"citizen_id": t.citizen_id, "transfer": "official", "to_organisation": t.to_cell,
                                "effective_from": t.on.isoformat(), "reason": t.reason},
            f"transfer:{t.citizen_id}", STAFF, _today(plan, tree.seat(STAFF, cell_of[t.citizen_id], t.on)))
        for t in plan.member_transfers
    ]
    acts += [
        Act("register_locality", {"code": lo.code, "name": lo.name, "kind": lo.kind, "organisation": lo.organisation,
                                  "covered_by": lo.covered_by, "effective_from": lo.since.isoformat()},
            f"locality:{lo.code}", STAFF, _today(plan, tree.seat(STAFF, lo.organisation, lo.since)))
        for lo in plan.localities
    ]
    acts += [
        Act("assign_quota", {"organisation": q.organisation, "period": q.period, "quantity": q.quantity, "assigned_by": q.assigned_by,
                             "decision_date": q.decision_date.isoformat(), "decision_number": q.decision_number},
            f"quota:{q.organisation}:{q.period}", BOARD, _today(plan, q.assigned_by))
        for q in plan.quotas
    ]
    for held in plan.classes:
        acts.append(Act("record_class", {
            "class_id": held.class_id, "kind": held.kind, "organiser": held.organiser, "title": held.title,
            "start_date": held.start.isoformat(), "end_date": held.end.isoformat(),
            "attendees": [{"citizen_id": c, "full_name": n} for c, n in held.attendees],
        }, f"class:{held.class_id}", BOARD, _today(plan, held.organiser)))
        acts.append(Act("issue_certificates", {"class_id": held.class_id, "certificates": [
            {"citizen_id": c, "number": number, "issued_on": held.end.isoformat()} for c, number in held.certificates
        ]}, f"certificates:{held.class_id}", BOARD, _today(plan, held.organiser)))
    return acts
