"""The command handlers: one function per use case, each loading the dossier, asking the registry
what a rule needs, letting the aggregate decide, and returning a `Decision` at the version it read.

The platform appends with event ids derived from the idempotency key and turns a stale version
into a `conflict` reply (shared/platform/service.py); nothing is written when a handler raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ketnap.platform.commands import Command, Conflict, Decision, NotFound
from ketnap.platform.eventstore import EventStore
from ketnap.services.dossiers import commands as cmd
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier, RegistryStanding
from ketnap.services.dossiers.registry_client import Membership

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CELL_KINDS = frozenset({"cell", "grassroots_cell"})
"""Units that hold dossiers (chi bộ): a dossier moves only to one of these."""
_DOSSIER_ID_NAMESPACE = uuid.UUID("1d3f0c52-6f0e-4b1a-9f8e-2a6c3b9d4e71")


def today_in_vietnam() -> date:
    """Dates of the procedure are Vietnamese calendar days, whatever the server's time zone."""
    return datetime.now(VIETNAM).date()


class Registry(Protocol):
    async def membership(self, citizen_id: str, organisation: str, on: date) -> Membership: ...
    async def in_unit_since(self, citizen_id: str, organisation: str, on: date) -> date | None: ...
    async def organisation_kind(self, code: str, on: date) -> str: ...


@dataclass
class Deps:
    """What a handler may use: the dossiers log, the registry, and today's date."""

    store: EventStore
    registry: Registry
    today: Callable[[], date] = today_in_vietnam


async def load(store: EventStore, dossier_id: str) -> Dossier:
    recorded = await store.read_stream(ev.stream_id(dossier_id))
    if not recorded:
        raise NotFound(f"Không tìm thấy hồ sơ {dossier_id}.", dossier_id=dossier_id)
    return Dossier.replay(dossier_id, recorded)


async def _current(deps: Deps, command: cmd.DossierCommand) -> Dossier:
    dossier = await load(deps.store, command.dossier_id)
    dossier.check_expected_version(command.expected_version)
    return dossier


def _decided(dossier: Dossier, events: Sequence[ev.Event], result: dict[str, Any] | None = None) -> Decision:
    return Decision(ev.stream_id(dossier.dossier_id), dossier.version, [e.to_new_event() for e in events], result or {})


# --- step 1 ------------------------------------------------------------------------------------------


async def open_dossier(deps: Deps, command: cmd.OpenDossier) -> Decision:
    # Derived from the idempotency key when not given: a retry after a lost reply opens nothing new.
    dossier_id = command.dossier_id or str(uuid.uuid5(_DOSSIER_ID_NAMESPACE, command.idempotency_key))
    if await deps.store.read_stream(ev.stream_id(dossier_id)):
        raise Conflict("Mã hồ sơ này đã được dùng cho một hồ sơ khác.", dossier_id=dossier_id)
    helper = await deps.registry.membership(command.helper_citizen_id, command.cell, command.opened_on)
    events = Dossier.open(
        dossier_id,
        cell=command.cell,
        citizen_id=command.citizen_id,
        full_name=command.full_name,
        opened_on=command.opened_on,
        helper_citizen_id=command.helper_citizen_id,
        helper=RegistryStanding(official=helper.official_and_present),
        today=deps.today(),
    )
    return Decision(ev.stream_id(dossier_id), 0, [e.to_new_event() for e in events], {"dossier_id": dossier_id})


# --- steps 2-8 -----------------------------------------------------------------------------------------


async def record_class_certificate(deps: Deps, command: cmd.RecordClassCertificate) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.record_class_certificate(
            certificate_number=command.certificate_number,
            issued_on=command.issued_on,
            issued_by=command.issued_by,
            today=deps.today(),
        ),
    )


async def submit_application_letter(deps: Deps, command: cmd.SubmitApplicationLetter) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.submit_application_letter(submitted_on=command.submitted_on, today=deps.today()))


async def declare_personal_history(deps: Deps, command: cmd.DeclarePersonalHistory) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.declare_personal_history(
            applicant=command.applicant.model_dump(),
            relatives=[r.model_dump() for r in command.relatives],
            family_planning_case=command.family_planning_case,
            qualifications=command.qualifications.model_dump(),
            declared_on=command.declared_on,
            today=deps.today(),
        ),
    )


async def correct_personal_history(deps: Deps, command: cmd.CorrectPersonalHistory) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.correct_personal_history(
            applicant=command.applicant.model_dump(),
            relatives=[r.model_dump() for r in command.relatives],
            family_planning_case=command.family_planning_case,
            qualifications=command.qualifications.model_dump(),
            corrected_on=command.corrected_on,
            reason=command.reason,
            today=deps.today(),
        ),
    )


async def record_introductions(deps: Deps, command: cmd.RecordIntroductions) -> Decision:
    dossier = await _current(deps, command)
    introducers = [
        ev.Introducer(
            citizen_id=i.citizen_id,
            full_name=i.full_name,
            organisation=i.organisation or dossier.cell,
            introduced_on=i.introduced_on,
            acquainted_since=i.acquainted_since,
            replacement=i.replacement,
        )
        for i in command.introducers
    ]
    standings: dict[str, RegistryStanding] = {}
    for introducer in introducers:
        membership = await deps.registry.membership(introducer.citizen_id, introducer.organisation, introducer.introduced_on)
        since = None
        if membership.member and not introducer.replacement:
            since = await deps.registry.in_unit_since(introducer.citizen_id, introducer.organisation, introducer.introduced_on)
        standings[introducer.citizen_id] = RegistryStanding(official=membership.official, in_unit_since=since)
    resolution = command.union_resolution
    return _decided(
        dossier,
        dossier.record_introductions(
            introducers=introducers,
            union_resolution=ev.UnionResolution(**resolution.model_dump()) if resolution else None,
            standings=standings,
            recorded_on=command.recorded_on,
            today=deps.today(),
        ),
    )


async def record_opinions(deps: Deps, command: cmd.RecordOpinions) -> Decision:
    dossier = await _current(deps, command)
    opinions = [ev.Opinion(**o.model_dump()) for o in command.opinions]
    return _decided(dossier, dossier.record_opinions(opinions=opinions, today=deps.today()))


async def record_provincial_agreement(deps: Deps, command: cmd.RecordProvincialAgreement) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.record_provincial_agreement(
            purpose=command.purpose, document_number=command.document_number, agreed_on=command.agreed_on, today=deps.today()
        ),
    )


async def mark_ready_for_cell_vote(deps: Deps, command: cmd.MarkReadyForCellVote) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.mark_ready_for_cell_vote(ready_on=command.ready_on, cell_meeting_on=command.cell_meeting_on, today=deps.today()),
    )


# --- steps 12-15 ----------------------------------------------------------------------------------------


async def record_ceremony(deps: Deps, command: cmd.RecordCeremony) -> Decision:
    dossier = await _current(deps, command)
    helper = RegistryStanding(official=False)
    if command.helper_citizen_id is not None:
        membership = await deps.registry.membership(command.helper_citizen_id, dossier.cell, command.held_on)
        helper = RegistryStanding(official=membership.official_and_present)
    return _decided(
        dossier,
        dossier.record_ceremony(
            held_on=command.held_on,
            helper_citizen_id=command.helper_citizen_id,
            helper=helper,
            received_decision_on=command.received_decision_on,
            upper_committee_agreed_delay=command.upper_committee_agreed_delay,
            today=deps.today(),
        ),
    )


async def file_member_history(deps: Deps, command: cmd.FileMemberHistory) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.file_member_history(filed_on=command.filed_on, today=deps.today()))


async def record_new_member_class(deps: Deps, command: cmd.RecordNewMemberClass) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.record_new_member_class(
            certificate_number=command.certificate_number,
            issued_on=command.issued_on,
            issued_by=command.issued_by,
            today=deps.today(),
        ),
    )


async def record_recognition_papers(deps: Deps, command: cmd.RecordRecognitionPapers) -> Decision:
    dossier = await _current(deps, command)
    return _decided(
        dossier,
        dossier.record_recognition_papers(
            self_review_on=command.self_review_on,
            helper_review_on=command.helper_review_on,
            opinions_on=command.opinions_on,
            completed_on=command.completed_on,
            today=deps.today(),
        ),
    )


# --- endings and pauses -----------------------------------------------------------------------------------


async def withdraw(deps: Deps, command: cmd.Withdraw) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.withdraw(on=command.on, today=deps.today()))


async def reject(deps: Deps, command: cmd.Reject) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.reject(on=command.on, rule=command.rule, reason=command.reason, today=deps.today()))


async def suspend(deps: Deps, command: cmd.Suspend) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.suspend(on=command.on, today=deps.today()))


async def resume(deps: Deps, command: cmd.Resume) -> Decision:
    dossier = await _current(deps, command)
    return _decided(dossier, dossier.resume(on=command.on, today=deps.today()))


async def transfer(deps: Deps, command: cmd.Transfer) -> Decision:
    dossier = await _current(deps, command)
    kind = await deps.registry.organisation_kind(command.to_cell, command.on)
    return _decided(
        dossier,
        dossier.transfer(on=command.on, to_cell=command.to_cell, to_a_cell=kind in CELL_KINDS, today=deps.today()),
    )


Handler = Callable[[Deps, Any], Awaitable[Decision]]

COMMANDS: list[tuple[str, type[Command], Handler]] = [
    ("open_dossier", cmd.OpenDossier, open_dossier),
    ("record_class_certificate", cmd.RecordClassCertificate, record_class_certificate),
    ("submit_application_letter", cmd.SubmitApplicationLetter, submit_application_letter),
    ("declare_personal_history", cmd.DeclarePersonalHistory, declare_personal_history),
    ("correct_personal_history", cmd.CorrectPersonalHistory, correct_personal_history),
    ("record_introductions", cmd.RecordIntroductions, record_introductions),
    ("record_opinions", cmd.RecordOpinions, record_opinions),
    ("record_provincial_agreement", cmd.RecordProvincialAgreement, record_provincial_agreement),
    ("mark_ready_for_cell_vote", cmd.MarkReadyForCellVote, mark_ready_for_cell_vote),
    ("record_ceremony", cmd.RecordCeremony, record_ceremony),
    ("file_member_history", cmd.FileMemberHistory, file_member_history),
    ("record_new_member_class", cmd.RecordNewMemberClass, record_new_member_class),
    ("record_recognition_papers", cmd.RecordRecognitionPapers, record_recognition_papers),
    ("withdraw", cmd.Withdraw, withdraw),
    ("reject", cmd.Reject, reject),
    ("suspend", cmd.Suspend, suspend),
    ("resume", cmd.Resume, resume),
    ("transfer", cmd.Transfer, transfer),
]
"""Subject `<service>.cmd.<name>` -> its command model and handler."""
