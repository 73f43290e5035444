"""The command handlers: one per use case, each loading the dossier, asking the registry what a rule
needs, letting the aggregate decide, and returning a `Decision` at the version it read. A command
the dossier decides alone (nothing to ask the registry, nothing to translate) needs no function of
its own: `alone(Dossier.<method>)` passes the command's fields to the method.

The platform appends with event ids derived from the idempotency key and turns a stale version
into a `conflict` reply (shared/platform/service.py); nothing is written when a handler raises.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel

from ketnap.domain.calendar import today_in_vietnam
from ketnap.domain.rules import RuleCode, Violation
from ketnap.domain.rules.readmission import check_former_membership
from ketnap.platform.aggregates import KeptAggregates
from ketnap.platform.commands import Alongside, Command, Conflict, Decision, InvalidInput, NotFound, RuleConflict, arguments_of
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.services.dossiers import commands as cmd
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier, RegistryStanding, raise_violation
from ketnap.services.dossiers.dossier.refusals import act_dates
from ketnap.services.dossiers.registry_client import AtOnce, MemberRecord, Membership, PastMembership, Unit

CELL_KINDS = frozenset({"cell", "grassroots_cell"})
"""Units that hold dossiers (chi bộ): a dossier moves only to one of these."""
_DOSSIER_ID_NAMESPACE = uuid.UUID("1d3f0c52-6f0e-4b1a-9f8e-2a6c3b9d4e71")


class Registry(Protocol):
    async def membership(self, citizen_id: str, organisation: str, on: date) -> Membership: ...
    async def member_record(self, citizen_id: str, on: date) -> MemberRecord: ...
    async def in_unit_since(self, citizen_id: str, organisation: str, on: date) -> date | None: ...
    async def unit(self, code: str, on: date) -> Unit: ...


@dataclass
class Deps:
    """What a handler may use: the dossiers log, the registry, and today's date."""

    store: EventStore
    registry: Registry
    today: Callable[[], date] = today_in_vietnam


def _advanced(dossier: Dossier, recorded: Sequence[RecordedEvent]) -> None:
    for event in recorded:
        dossier.apply(event)


DOSSIERS: KeptAggregates[Dossier] = KeptAggregates(lambda stream, recorded: Dossier.replay(ev.dossier_id_of(stream), recorded), _advanced)
"""Dossiers kept between commands and queries (ketnap.platform.aggregates): each load reads only
what its stream recorded since."""


async def load(store: EventStore, dossier_id: str) -> Dossier:
    dossier = await DOSSIERS.load(store, ev.stream_id(dossier_id))
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ {dossier_id}.", dossier_id=dossier_id)
    return dossier


async def _current(deps: Deps, command: cmd.DossierCommand) -> Dossier:
    dossier = await load(deps.store, command.dossier_id)
    dossier.check_expected_version(command.expected_version)
    return dossier


def _decided(dossier: Dossier, events: Sequence[ev.Event], result: dict[str, Any] | None = None) -> Decision:
    return Decision(ev.stream_id(dossier.dossier_id), dossier.version, [e.to_new_event() for e in events], result or {})


async def _unit_still_there(deps: Deps, code: str, on: date, field: str, ask: AtOnce | None = None) -> Unit:
    """The unit on `on` (its stored code and kind), which must exist then and still today: a dossier is never attached to
    a unit dissolved, merged or split since (the registry answers an ended unit "not found"). Both
    days are asked at once (with `ask`, beside the caller's other questions)."""
    async with AtOnce() as own:
        ask = ask or own
        then = ask(deps.registry.unit(code, on))
        now = ask(_there_today(deps, code, field)) if on < deps.today() else None
        unit = await then
        if now is not None:
            await now
    return unit


async def _there_today(deps: Deps, code: str, field: str) -> None:
    """The unit still stands today. The attaching commands decide before the registry's tree turn
    is taken (`decides_ahead`); in the turn, their `Decision.in_turn` asks this again, the one fact
    the turn protects: a unit dissolved after the decision and before the append is seen (ATTACHING)."""
    try:
        await deps.registry.unit(code, deps.today())
    except InvalidInput:
        raise InvalidInput(
            f"Tổ chức {code} không còn tồn tại (đã giải thể, sáp nhập hoặc chia tách): không thể gắn hồ sơ vào tổ chức này.",
            field=field, organisation=code,
        ) from None


# --- step 1 ------------------------------------------------------------------------------------------


async def open_dossier(deps: Deps, command: cmd.OpenDossier) -> Decision:
    # Derived from the idempotency key when not given: a retry after a lost reply opens nothing new.
    dossier_id = command.dossier_id or str(uuid.uuid5(_DOSSIER_ID_NAMESPACE, command.idempotency_key))
    today = deps.today()
    # Every question asked at once, each answer checked in the order of the rules below.
    async with AtOnce() as ask:
        taken = ask(deps.store.read_stream(ev.stream_id(dossier_id)))
        still_there = ask(_unit_still_there(deps, command.cell, command.opened_on, "cell", ask))
        helper_asked = ask(deps.registry.membership(command.helper_citizen_id, command.cell, command.opened_on))
        records = {on: ask(deps.registry.member_record(command.citizen_id, on)) for on in sorted({command.opened_on, today})}
        if await taken:
            raise Conflict("Mã hồ sơ này đã được dùng cho một hồ sơ khác.", dossier_id=dossier_id)
        # The date first (NO_RULE_SET): a dossier begun before every rule set is refused for its date,
        # whatever the registry says of the cell and the helper that day.
        act_dates(today, opened_on=command.opened_on)
        # Recorded as the registry stores the cell, whoever sent the command (over NATS no gateway corrects it).
        command = command.model_copy(update={"cell": (await still_there).code})
        helper = await helper_asked
        for on, record in records.items():
            if (await record).member:
                raise_violation(Violation.of(RuleCode.ALREADY_MEMBER, on=on))
        readmission = _readmission(command, dossier_id, (await records[command.opened_on]).past)
    events = Dossier.open(
        dossier_id,
        cell=command.cell,
        citizen_id=command.citizen_id,
        full_name=command.full_name,
        opened_on=command.opened_on,
        helper_citizen_id=command.helper_citizen_id,
        helper=RegistryStanding(official=helper.official_and_present),
        today=today,
        readmission=readmission,
    )

    async def in_turn() -> list[Alongside]:
        await _there_today(deps, command.cell, "cell")
        return await _reservation(deps, command, dossier_id)  # last, as before: a refused opening reserves nothing

    return Decision(ev.stream_id(dossier_id), 0, [e.to_new_event() for e in events], {"dossier_id": dossier_id}, in_turn=in_turn)


async def take_over_dossier(deps: Deps, command: cmd.TakeOverDossier) -> Decision:
    """A dossier begun on paper: opened as `open_dossier` opens one (the same checks on the paper's
    `opened_on`), marked as taken over at the step the paper stands at. The later paper steps come
    as the ordinary commands of their owners (this service, verification, voting), with their dates."""
    opened = await open_dossier(deps, command)
    dossier_id = opened.result["dossier_id"]
    marker = ev.DossierTakenOverFromPaper(dossier_id=dossier_id, step=command.step, taken_over_on=deps.today())
    return Decision(opened.stream_id, opened.expected_version, [*opened.events, marker.to_new_event()], opened.result, in_turn=opened.in_turn)


def _readmission(command: cmd.OpenDossier, dossier_id: str, past: PastMembership) -> ev.ReadmissionDeclared | None:
    """READMIT — a person the registry knows as a former member (`past`, as of the day opened) is
    opened only as a re-admission, and the day they left is the registry's; a member transferred to
    another deployment is still a member (ALREADY_MEMBER) unless they left the party there
    afterwards; someone the registry never had may be declared a former member (the paper past,
    another deployment)."""
    declared = command.readmission
    if violation := check_former_membership(
        left_on=past.left_on, transferred_out_on=past.transferred_out_on, declared_left_on=declared.left_on if declared else None
    ):
        raise_violation(violation)
    if declared is None:
        return None
    facts = declared.model_dump()
    return ev.ReadmissionDeclared(dossier_id=dossier_id, **{**facts, "left_on": past.left_on or facts["left_on"]})


async def _reservation(deps: Deps, command: cmd.OpenDossier, dossier_id: str) -> list[Alongside]:
    """ONE_DOSSIER — at most one open dossier per person (CCCD) in the deployment. The person's stream
    names the dossier last opened for them; a new one is reserved at the version read, appended in
    the transaction of the dossier it names (one commit), in the registry's tree turn: of two
    openings at once the second reads the first's reservation and is refused, and a write in
    between (outside any turn) makes the version stale, a conflict. A reservation whose dossier is
    not written yet counts as open (one written before both went in one transaction); the same
    idempotency key reserves the same dossier again, so a retried opening goes through."""
    stream = ev.applicant_stream_id(command.citizen_id)
    reservation = ev.ApplicantDossierOpened(dossier_id=dossier_id, citizen_id=command.citizen_id).to_new_event(
        uuid.uuid5(_DOSSIER_ID_NAMESPACE, f"applicant:{command.idempotency_key}")
    )
    recorded = await deps.store.read_stream(stream)
    if recorded:
        holder = str(recorded[-1].data["dossier_id"])
        if holder == dossier_id:
            return []
        opened = await DOSSIERS.load(deps.store, ev.stream_id(holder))
        if opened is None or not opened.closed:
            raise RuleConflict(str(RuleCode.ONE_DOSSIER), RuleCode.ONE_DOSSIER.message, dossier_id=holder)
    metadata = EventMetadata(actor=command.actor, organisation=command.scope, correlation_id=reservation.event_id)
    return [Alongside(stream, len(recorded), [reservation], metadata)]


# --- steps 2-8 -----------------------------------------------------------------------------------------


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


# --- endings and pauses -----------------------------------------------------------------------------------


async def transfer(deps: Deps, command: cmd.Transfer) -> Decision:
    dossier = await _current(deps, command)
    # Recorded as the registry stores the cell, however it was typed: the reports group dossiers by that code.
    to = await _unit_still_there(deps, command.to_cell, command.on, "to_cell")
    decided = _decided(dossier, dossier.transfer(on=command.on, to_cell=to.code, to_a_cell=to.kind in CELL_KINDS, today=deps.today()))
    return dataclasses.replace(decided, in_turn=functools.partial(_there_today, deps, to.code, "to_cell"))


# --- what the dossier decides alone -----------------------------------------------------------------------


def alone(act: Callable[..., list[ev.Event]]) -> Handler:
    """The handler of a command whose own fields, with today's date, are the arguments of `act`:
    the dossier at the version the officer saw decides, with nothing to ask the registry."""

    async def handle(deps: Deps, command: cmd.DossierCommand) -> Decision:
        dossier = await _current(deps, command)
        return _decided(dossier, act(dossier, **_arguments(command), today=deps.today()))

    handle.__name__ = handle.__qualname__ = act.__name__
    handle.__wrapped__ = act  # type: ignore[attr-defined]
    return handle


def _arguments(command: cmd.DossierCommand) -> dict[str, Any]:
    """The command's fields as the aggregate takes them: a part of the command (an applicant's
    facts, a relative) as a plain mapping."""
    return {name: _plain(value) for name, value in arguments_of(command, "dossier_id", "expected_version").items()}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


Handler = Callable[[Deps, Any], Awaitable[Decision]]

COMMANDS: list[tuple[str, type[Command], Handler]] = [
    ("open_dossier", cmd.OpenDossier, open_dossier),
    ("take_over_dossier", cmd.TakeOverDossier, take_over_dossier),
    ("record_class_certificate", cmd.RecordClassCertificate, alone(Dossier.record_class_certificate)),
    ("submit_application_letter", cmd.SubmitApplicationLetter, alone(Dossier.submit_application_letter)),
    ("declare_personal_history", cmd.DeclarePersonalHistory, alone(Dossier.declare_personal_history)),
    ("correct_personal_history", cmd.CorrectPersonalHistory, alone(Dossier.correct_personal_history)),
    ("record_introductions", cmd.RecordIntroductions, record_introductions),
    ("record_opinions", cmd.RecordOpinions, record_opinions),
    ("record_provincial_agreement", cmd.RecordProvincialAgreement, alone(Dossier.record_provincial_agreement)),
    ("mark_ready_for_cell_vote", cmd.MarkReadyForCellVote, alone(Dossier.mark_ready_for_cell_vote)),
    ("record_ceremony", cmd.RecordCeremony, record_ceremony),
    ("file_member_history", cmd.FileMemberHistory, alone(Dossier.file_member_history)),
    ("record_new_member_class", cmd.RecordNewMemberClass, alone(Dossier.record_new_member_class)),
    ("record_recognition_papers", cmd.RecordRecognitionPapers, alone(Dossier.record_recognition_papers)),
    ("withdraw", cmd.Withdraw, alone(Dossier.withdraw)),
    ("reject", cmd.Reject, alone(Dossier.reject)),
    ("suspend", cmd.Suspend, alone(Dossier.suspend)),
    ("resume", cmd.Resume, alone(Dossier.resume)),
    ("transfer", cmd.Transfer, transfer),
]
"""Subject `<service>.cmd.<name>` -> its command model and handler."""

ATTACHING = frozenset({"open_dossier", "take_over_dossier", "transfer"})
"""Commands that attach a dossier to a unit: appended in the registry's tree turn (platform
turns.TREE), in which the registry also dissolves units after asking how many dossiers each holds.
Whichever comes first, the other sees it: the unit ended (`_unit_still_there`, asked again in the
turn by `Decision.in_turn`), or the dossier open in it (DISSOLVE_EMPTY). They are decided before
the turn is taken (`decides_ahead`): their other questions to the registry hold no one up."""
