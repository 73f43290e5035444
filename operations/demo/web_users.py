"""The demo's people for the web application: one user per role, each with the demo password, seated
where that role works on the demo's first dossier, so every page shows something real at once.

Made like `ketnap users add ... --password` does (the operator over NATS, the password hashed here);
running the demo again sets the same password on the users already there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketnap.operations.demo.plan import Plan
from ketnap.services.gateway import client
from ketnap.services.gateway.access import ROLE_TITLES, Role
from ketnap.services.gateway.passwords import hash_password

DEMO_PASSWORD = "ketnap-mau-2025"
"""Printed on screen by `ketnap demo`: for the demo's data only, never for real users."""

LOGINS = {
    Role.CELL_SECRETARY: "bithu",
    Role.GRASSROOTS_STAFF: "canbo",
    Role.ORGANISATION_BOARD: "bantochuc",
    Role.STANDING_COMMITTEE: "thuongvu",
    Role.INSPECTOR: "kiemtra",
    Role.ADMINISTRATOR: "quantri",
}


@dataclass(frozen=True)
class DemoUser:
    login: str
    role: Role
    organisation: str
    display_name: str


WAITING = ("awaiting_decision", "awaiting_ceremony", "ready_for_cell_vote", "recognition", "probation")
"""Steps that put a dossier on someone's "Việc cần làm" (probation only near its end), in that preference."""


def demo_users(plan: Plan) -> list[DemoUser]:
    """Who works today on the cell of the first dossier that waits on someone: its secretary, its
    grassroots staff, the standing committee that decides for it; the province's board, inspector
    and administrator see it all."""
    on = plan.reference
    waiting = next((d for step in WAITING for d in plan.dossiers if d.final_step == step), plan.dossiers[0])
    cell = waiting.cell_on(on)
    seats = {
        Role.CELL_SECRETARY: cell,
        Role.GRASSROOTS_STAFF: plan.tree.seat(Role.GRASSROOTS_STAFF, cell, on),
        Role.STANDING_COMMITTEE: plan.tree.seat(Role.STANDING_COMMITTEE, cell, on),
        Role.ORGANISATION_BOARD: plan.province,
        Role.INSPECTOR: plan.province,
        Role.ADMINISTRATOR: plan.province,
    }
    return [
        DemoUser(LOGINS[role], role, seats[role], f"{ROLE_TITLES[role]} ({plan.tree.name(seats[role])})")
        for role in Role
    ]


async def add_demo_users(nats_url: str, plan: Plan) -> list[tuple[DemoUser, client.Answer]]:
    password_hash = hash_password(DEMO_PASSWORD)
    made = []
    for user in demo_users(plan):
        answer = await client.add_user(nats_url, user.login, user.role, user.organisation, user.display_name, password_hash=password_hash)
        if not answer.ok and "đã có người dùng" in answer.text:
            answer = await client.set_password(nats_url, user.login, password_hash)
        made.append((user, answer))
    return made
