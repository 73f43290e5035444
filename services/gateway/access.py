"""Who may do what, in one table: each user's role, and for every command and query reachable
from outside, the roles that may send it and the fields that name the organisations it touches.

The gateway enforces this table (a user acts only within their organisation's subtree and only
as their role allows); the demo and the end-to-end tests read it to act as the right person.
A command or query missing from the table is not reachable from outside at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CELL_SECRETARY = "cell_secretary"
    """Bí thư chi bộ: the cell's own dossiers, the cell's votes and the ceremony."""
    GRASSROOTS_STAFF = "grassroots_staff"
    """Cán bộ đảng ủy cơ sở: dossiers, verification, the grassroots committee's votes, the rosters."""
    ORGANISATION_BOARD = "organisation_board"
    """Ban tổ chức: prepares dossiers for the standing committee; the tree, quotas and classes."""
    STANDING_COMMITTEE = "standing_committee"
    """Ban thường vụ: issues the decisions (admission, recognition, name removal) and authorisations."""
    INSPECTOR = "inspector"
    """Ủy ban kiểm tra: reads everything in scope, including the audit trail; writes nothing."""
    ADMINISTRATOR = "administrator"
    """Quản trị: users and tokens, and the registry's data upkeep."""


ROLE_TITLES: dict[Role, str] = {
    Role.CELL_SECRETARY: "Bí thư chi bộ",
    Role.GRASSROOTS_STAFF: "Cán bộ đảng ủy cơ sở",
    Role.ORGANISATION_BOARD: "Ban tổ chức",
    Role.STANDING_COMMITTEE: "Ban thường vụ",
    Role.INSPECTOR: "Ủy ban kiểm tra",
    Role.ADMINISTRATOR: "Quản trị hệ thống",
}

EVERY_ROLE = tuple(Role)
CELL, GRASSROOTS, BOARD, STANDING, INSPECTOR, ADMIN = (
    Role.CELL_SECRETARY, Role.GRASSROOTS_STAFF, Role.ORGANISATION_BOARD, Role.STANDING_COMMITTEE, Role.INSPECTOR, Role.ADMINISTRATOR,
)
PREPARERS = (CELL, GRASSROOTS, BOARD)
STAFF = (GRASSROOTS, BOARD)
READERS = EVERY_ROLE
AUDITORS = (INSPECTOR, STANDING, BOARD, ADMIN)
PERSONAL_READERS = (CELL, GRASSROOTS, BOARD, STANDING, INSPECTOR)
"""Who may see applicants' names and citizen ids in lists (dossiers.search): the people who do or
inspect admission work; an administrator keeps users and the registry, not dossiers."""


ALARMED_SERVICES = ("registry", "dossiers", "verification", "voting", "reporting", "gateway", "federation")
"""The services reachable through the gateway, each with its consumers' integrity alarms: an
administrator or an inspector reads them, an administrator acknowledges them. The federation
service (linked deployments only, `LINKED_ONLY`) holds those of the logs it keeps and those told
by the levels below."""
VERIFIED_LOGS = ("registry", "dossiers", "verification", "voting", "gateway")
"""The services reachable through the gateway that keep a log: an inspector or an administrator
has each check its own (`verify_log`, the inspection page's check of the audit trail)."""


LINKED_ONLY = ("federation",)
"""Services a deployment runs only when it is linked to others (`ketnap.platform.federation.links`):
their entries of the table are routes only where they run."""


@dataclass(frozen=True)
class Access:
    roles: tuple[Role, ...]
    """Who may send it; the first is who normally does (the demo acts as that role)."""
    scope_fields: tuple[str, ...] = ()
    """Fields naming organisations that must lie in the user's subtree. `dossier_id` and
    `dossier_ids` are always checked through the dossier's current cell."""
    personal: bool = False
    """The answer holds personal data: every read is recorded as an event (a dossier's history
    once per dossier read; a search once, naming the dossiers it showed)."""


def _c(*roles: Role, scope: tuple[str, ...] = (), personal: bool = False) -> Access:
    return Access(tuple(roles), scope, personal)


COMMANDS: dict[tuple[str, str], Access] = {
    # registry: the tree and authorisations (the registry also checks that authority comes from above)
    ("registry", "establish_organisation"): _c(BOARD, ADMIN, scope=("parent",)),
    ("registry", "rename_organisation"): _c(BOARD, ADMIN, scope=("code",)),
    ("registry", "reclassify_organisation"): _c(BOARD, ADMIN, scope=("code",)),
    ("registry", "move_organisation"): _c(BOARD, ADMIN, scope=("code", "parent")),
    ("registry", "merge_organisation"): _c(BOARD, ADMIN, scope=("code", "into")),
    ("registry", "split_organisation"): _c(BOARD, ADMIN, scope=("code",)),
    ("registry", "dissolve_organisation"): _c(BOARD, ADMIN, scope=("code",)),
    ("registry", "import_records"): _c(BOARD, ADMIN, scope=("organisation",)),
    ("registry", "grant_admission_authority"): _c(STANDING, scope=("code",)),
    ("registry", "revoke_admission_authority"): _c(STANDING, scope=("code",)),
    # registry: people (citizen-keyed commands are checked by the registry against the member's unit)
    ("registry", "appoint_committee_member"): _c(BOARD, GRASSROOTS, ADMIN, scope=("organisation",)),
    ("registry", "end_committee_membership"): _c(BOARD, GRASSROOTS, ADMIN, scope=("organisation",)),
    ("registry", "register_member"): _c(GRASSROOTS, BOARD, ADMIN, scope=("organisation",)),
    ("registry", "record_paper_admission"): _c(BOARD, GRASSROOTS, ADMIN, scope=("organisation",)),
    ("registry", "change_member_status"): _c(GRASSROOTS, BOARD, ADMIN),
    ("registry", "transfer_member"): _c(GRASSROOTS, BOARD, ADMIN),
    ("registry", "return_member"): _c(GRASSROOTS, BOARD, ADMIN),
    ("registry", "remove_member_name"): _c(STANDING, scope=("decided_by",)),
    ("registry", "register_locality"): _c(GRASSROOTS, BOARD, ADMIN, scope=("organisation", "covered_by")),
    ("registry", "change_locality_coverage"): _c(GRASSROOTS, BOARD, ADMIN, scope=("covered_by",)),
    ("registry", "assign_quota"): _c(BOARD, STANDING, scope=("organisation", "assigned_by")),
    ("registry", "change_quota"): _c(BOARD, STANDING, scope=("organisation",)),
    ("registry", "record_class"): _c(BOARD, GRASSROOTS, scope=("organiser",)),
    ("registry", "issue_certificates"): _c(BOARD, GRASSROOTS),
    ("registry", "record_quality_rating"): _c(GRASSROOTS, BOARD, scope=("organisation",)),
    ("registry", "correct_quality_rating"): _c(GRASSROOTS, BOARD, scope=("organisation",)),
    # dossiers: the cell prepares, the grassroots committee and the board help
    ("dossiers", "open_dossier"): _c(*PREPARERS, scope=("cell",)),
    ("dossiers", "take_over_dossier"): _c(BOARD, GRASSROOTS, ADMIN, scope=("cell",)),
    ("dossiers", "record_class_certificate"): _c(*PREPARERS),
    ("dossiers", "submit_application_letter"): _c(*PREPARERS),
    ("dossiers", "declare_personal_history"): _c(*PREPARERS),
    ("dossiers", "correct_personal_history"): _c(*PREPARERS),
    ("dossiers", "record_introductions"): _c(*PREPARERS),
    ("dossiers", "record_opinions"): _c(*PREPARERS),
    ("dossiers", "record_provincial_agreement"): _c(BOARD, STANDING),
    ("dossiers", "mark_ready_for_cell_vote"): _c(*PREPARERS),
    ("dossiers", "record_ceremony"): _c(*PREPARERS),
    ("dossiers", "file_member_history"): _c(*PREPARERS),
    ("dossiers", "record_new_member_class"): _c(*PREPARERS),
    ("dossiers", "record_recognition_papers"): _c(*PREPARERS),
    ("dossiers", "withdraw"): _c(*PREPARERS),
    ("dossiers", "reject"): _c(GRASSROOTS, BOARD, STANDING),
    ("dossiers", "suspend"): _c(GRASSROOTS, BOARD, STANDING),
    ("dossiers", "resume"): _c(GRASSROOTS, BOARD, STANDING),
    ("dossiers", "transfer"): _c(*PREPARERS),
    # verification: requests go out from the cell or the grassroots committee, which certifies
    ("verification", "send_request"): _c(GRASSROOTS, CELL, BOARD, scope=("sent_by",)),
    ("verification", "record_reply"): _c(GRASSROOTS, CELL, BOARD),
    ("verification", "certify_history"): _c(GRASSROOTS, BOARD, scope=("certified_by",)),
    ("verification", "close_by_member_record"): _c(GRASSROOTS, CELL, BOARD),
    ("verification", "take_over_certification"): _c(BOARD, GRASSROOTS, ADMIN, scope=("certified_by",)),
    ("verification", "lift_block"): _c(STANDING, scope=("decided_by",)),
    # voting: each collective body records its own acts; only the standing committee decides
    ("voting", "record_cell_resolution"): _c(CELL, GRASSROOTS, scope=("cell",)),
    ("voting", "record_recognition_cell_resolution"): _c(CELL, GRASSROOTS, scope=("cell",)),
    ("voting", "take_over_cell_resolution"): _c(BOARD, GRASSROOTS, ADMIN, scope=("cell",)),
    ("voting", "take_over_grassroots_resolution"): _c(BOARD, GRASSROOTS, ADMIN, scope=("organisation",)),
    ("voting", "record_appraisal"): _c(GRASSROOTS, BOARD, scope=("organisation",)),
    ("voting", "record_grassroots_resolution"): _c(GRASSROOTS, BOARD, scope=("organisation",)),
    ("voting", "record_recognition_grassroots_resolution"): _c(GRASSROOTS, BOARD, scope=("organisation",)),
    ("voting", "decide_admission"): _c(STANDING, scope=("decided_by",)),
    ("voting", "take_over_admission_decision"): _c(BOARD, GRASSROOTS, ADMIN, scope=("decided_by",)),
    ("voting", "extend_decision_deadline"): _c(STANDING, scope=("decided_by",)),
    ("voting", "record_cell_notified"): _c(CELL, GRASSROOTS),
    ("voting", "agree_ceremony_delay"): _c(STANDING, scope=("agreed_by",)),
    ("voting", "decide_recognition"): _c(STANDING, scope=("decided_by",)),
    ("voting", "decide_name_removal"): _c(STANDING, scope=("decided_by",)),
    # gateway: users and tokens (the gateway checks that the user acted on is in the sender's subtree)
    ("gateway", "create_user"): _c(ADMIN, scope=("organisation",)),
    ("gateway", "issue_token"): _c(ADMIN),
    ("gateway", "revoke_token"): _c(ADMIN),
    ("gateway", "disable_user"): _c(ADMIN),
    ("gateway", "set_password"): _c(ADMIN),
    # every service: acknowledging an integrity alarm of its consumers (ketnap.platform.alarms)
    **{(service, "acknowledge_alarm"): _c(ADMIN) for service in ALARMED_SERVICES},
}

SERVICE_TO_SERVICE_COMMANDS = frozenset({"record_alarm_acknowledgement"})
"""Commands one service sends another over NATS and nobody sends from outside: absent from the
table, so the gateway never routes them (a log-less service records its alarm acknowledgements in
the gateway's log with `record_alarm_acknowledgement`; deploy/nats/nats.conf lets only it send)."""

QUERIES: dict[tuple[str, str], Access] = {
    ("registry", "organisation"): _c(*READERS, scope=("code",)),
    ("registry", "subtree"): _c(*READERS, scope=("code",)),
    ("registry", "roster"): _c(*READERS, scope=("organisation",)),
    ("registry", "committee"): _c(*READERS, scope=("organisation",)),
    ("registry", "competent_authority"): _c(*READERS, scope=("organisation",)),
    ("registry", "localities"): _c(*READERS, scope=("organisation",)),
    ("registry", "quotas"): _c(*READERS, scope=("organisation",)),
    ("registry", "history"): _c(*READERS, scope=("code",)),
    ("registry", "members"): _c(*READERS, scope=("organisation",), personal=True),
    ("registry", "classes"): _c(*READERS, scope=("organisation",), personal=True),
    ("dossiers", "dossier"): _c(*READERS, personal=True),
    ("dossiers", "search"): _c(*PERSONAL_READERS, scope=("organisation",), personal=True),
    ("dossiers", "progress"): _c(*READERS),
    ("dossiers", "personal_history"): _c(*PREPARERS, personal=True),
    ("verification", "case"): _c(GRASSROOTS, BOARD, STANDING, INSPECTOR, CELL, personal=True),
    ("verification", "overdue"): _c(*READERS, scope=("cell",)),
    ("voting", "case"): _c(*READERS),
    ("voting", "deadlines"): _c(*READERS, scope=("organisation",)),
    ("reporting", "quota"): _c(*READERS, scope=("organisation",)),
    ("reporting", "stats"): _c(*READERS, scope=("organisation",)),
    ("reporting", "stats_by_unit"): _c(*READERS, scope=("organisation",)),
    ("reporting", "pipeline"): _c(*READERS, scope=("organisation",)),
    ("reporting", "classes"): _c(*READERS, scope=("organisation",)),
    ("reporting", "several_dossiers"): _c(*READERS, scope=("organisation",)),
    ("reporting", "white_zones"): _c(*READERS, scope=("organisation",)),
    ("reporting", "deadlines"): _c(*READERS, scope=("organisation",)),
    ("reporting", "ratings"): _c(*READERS, scope=("organisation",)),
    ("reporting", "audit_history"): _c(*AUDITORS),
    ("gateway", "users"): _c(ADMIN, INSPECTOR, scope=("organisation",)),
    **{(service, "integrity_alarms"): _c(ADMIN, INSPECTOR) for service in ALARMED_SERVICES},
    # the links with other deployments: how far each kept log is, lag, cut or not (as `ketnap status`)
    ("federation", "links"): _c(ADMIN, INSPECTOR),
    **{(service, "verify_log"): _c(INSPECTOR, ADMIN) for service in VERIFIED_LOGS},
}

GATEWAY_JOBS: dict[tuple[str, str], Access] = {
    ("gateway", "take_over_paper_dossiers"): _c(*COMMANDS[("registry", "import_records")].roles, scope=("organisation",)),
    ("gateway", "paper_take_over"): _c(*COMMANDS[("registry", "import_records")].roles),
}
"""The gateway's own routes for taking over dossiers begun on paper (`paper_api.py`): a job the gateway
runs itself, not a service's command, so outside COMMANDS and QUERIES. The roles are the web import
page's (who may import a file); each row is then checked as `dossiers.take_over_dossier` for its cell."""


def preferred_role(service: str, command: str) -> Role:
    """Who normally sends this command: the demo and the end-to-end tests act as this role."""
    return COMMANDS[(service, command)].roles[0]
