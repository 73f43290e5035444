"""The use cases of the voting service: load the chain, ask the registry what the act's date needs, let
the aggregate decide, return the events to append to `voting-<dossier_id>` at the version read.
The command's own fields are the aggregate method's arguments (`arguments_of`); the handler adds
what the registry says.

The chain is read from every voting log this deployment holds (`case_log`); an act is accepted
only where the body taking it works (`rules.check_recorded_here`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from ketnap.platform.commands import Decision, arguments_of
from ketnap.services.voting import commands as c
from ketnap.services.voting.admission_case import AdmissionCase
from ketnap.services.voting.case_log import CaseLog
from ketnap.services.voting.registry_client import RegistryClient
from ketnap.services.voting.roster import Chain
from ketnap.services.voting.rules import Tally, check_only_one_applicant, check_recorded_here, raise_if


async def load(cases: CaseLog, dossier_id: str) -> AdmissionCase:
    return await cases.load(dossier_id)


async def _open_case(cases: CaseLog, dossier_id: str, command: c.CaseCommand) -> AdmissionCase:
    """The chain of a dossier still going, before anything is asked of the registry; as the
    person saw it when they give the version they saw (someone recorded an act since: a conflict)."""
    case = await load(cases, dossier_id)
    case.check_expected_version(command.expected_version)
    case.require_open()
    return case


def _arguments(command: c.CaseCommand, *leaving_out: str) -> dict[str, Any]:
    """The aggregate method's arguments: the command's own fields less the version it was judged at."""
    return arguments_of(command, "expected_version", *leaving_out)


async def _chain_here(registry: RegistryClient, case: AdmissionCase, body: str, on: date) -> Chain:
    """The cell's chain on `on`, once `body` is known to work in this deployment."""
    chain = await registry.chain(case.cell, on)
    venue = chain.venue_of(body)
    if venue is not None:
        raise_if(check_recorded_here(chain, body, await registry.established_here([venue])))
    return chain


def _decision(case: AdmissionCase, result: dict[str, Any] | None = None) -> Decision:
    return Decision(case.stream_id, case.version, case.pending, result or {})


def _tally_result(tally: Tally | None) -> dict[str, Any]:
    if tally is None:
        return {}
    result: dict[str, Any] = {
        "outcome": tally.outcome.value,
        "denominator": tally.denominator,
        "required": tally.required,
        "agree": tally.agree,
        "disagree": tally.disagree,
        "abstain": tally.abstain,
    }
    if tally.violation is not None:
        result["rule"] = tally.violation.code.value
        result["message"] = f"[{tally.violation.code.value}] {tally.violation.message}"
    return result


# --- votes: one applicant each, counted against the registry's roster or committee ------------------


async def _one_applicant(cases: CaseLog, command: c.Vote) -> AdmissionCase:
    raise_if(check_only_one_applicant(command.dossier_ids))
    return await _open_case(cases, command.dossier_ids[0], command)


async def record_cell_resolution(cases: CaseLog, registry: RegistryClient, command: c.RecordCellResolution) -> Decision:
    case = await _one_applicant(cases, command)
    await _chain_here(registry, case, command.cell, command.meeting_on)
    roster = await registry.roster(command.cell, command.meeting_on)
    tally = case.record_cell_resolution(**_arguments(command, "dossier_ids"), roster=roster)
    return _decision(case, _tally_result(tally))


async def take_over_cell_resolution(cases: CaseLog, registry: RegistryClient, command: c.TakeOverCellResolution) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    await _chain_here(registry, case, command.cell, command.meeting_on)
    roster = await registry.roster(command.cell, command.meeting_on)
    tally = case.take_over_cell_resolution(**_arguments(command, "dossier_id"), roster=roster)
    return _decision(case, _tally_result(tally))


async def take_over_grassroots_resolution(
    cases: CaseLog, registry: RegistryClient, command: c.TakeOverGrassrootsResolution
) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    chain = await _chain_here(registry, case, command.organisation, command.meeting_on)
    committee = await registry.committee(command.organisation, command.meeting_on) if command.organisation in chain else []
    tally = case.take_over_grassroots_resolution(**_arguments(command, "dossier_id"), chain=chain, committee=committee)
    return _decision(case, _tally_result(tally))


async def record_recognition_cell_resolution(
    cases: CaseLog, registry: RegistryClient, command: c.RecordRecognitionCellResolution
) -> Decision:
    case = await _one_applicant(cases, command)
    chain = await _chain_here(registry, case, command.cell, command.meeting_on)
    roster = await registry.roster(command.cell, command.meeting_on)
    tally = case.record_recognition_cell_resolution(**_arguments(command, "dossier_ids"), roster=roster, chain=chain)
    return _decision(case, _tally_result(tally))


def _grassroots_vote(resolve: Callable[..., Tally]) -> Handler:
    """The handler of a grassroots committee's resolution (on admission or on recognition): counted
    against the committee's members on the meeting's date when the committee is the cell's own."""

    async def handle(cases: CaseLog, registry: RegistryClient, command: c.RecordGrassrootsResolution) -> Decision:
        case = await _one_applicant(cases, command)
        chain = await _chain_here(registry, case, command.organisation, command.meeting_on)
        committee = await registry.committee(command.organisation, command.meeting_on) if command.organisation in chain else []
        tally = resolve(case, **_arguments(command, "dossier_ids"), chain=chain, committee=committee)
        return _decision(case, _tally_result(tally))

    handle.__name__ = handle.__qualname__ = resolve.__name__
    return handle


record_grassroots_resolution = _grassroots_vote(AdmissionCase.record_grassroots_resolution)
record_recognition_grassroots_resolution = _grassroots_vote(AdmissionCase.record_recognition_grassroots_resolution)


# --- decisions of the competent committee -------------------------------------------------------------


async def _decider(registry: RegistryClient, case: AdmissionCase, decided_by: str, on: date, voted: bool):  # noqa: ANN202
    """The competent authority, the tree, and (for an authorised grassroots committee that voted) its committee."""
    competent = await registry.competent_authority(case.cell, on)
    chain = await _chain_here(registry, case, decided_by, on)
    committee = None
    if voted and competent.is_grassroots and decided_by == competent.organisation:
        committee = await registry.committee(decided_by, on)
    return competent, chain, committee


async def decide_admission(cases: CaseLog, registry: RegistryClient, command: c.DecideAdmission) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    competent, chain, committee = await _decider(registry, case, command.decided_by, command.decision_date, bool(command.ballots))
    tally = case.decide_admission(**_arguments(command, "dossier_id"), competent=competent, chain=chain, committee=committee)
    return _decision(case, _tally_result(tally))


async def take_over_admission_decision(
    cases: CaseLog, registry: RegistryClient, command: c.TakeOverAdmissionDecision
) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    competent, chain, committee = await _decider(registry, case, command.decided_by, command.decision_date, True)
    tally = case.take_over_admission_decision(**_arguments(command, "dossier_id"), competent=competent, chain=chain,
                                              committee=committee)
    return _decision(case, _tally_result(tally))


async def decide_recognition(cases: CaseLog, registry: RegistryClient, command: c.DecideRecognition) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    competent, chain, committee = await _decider(registry, case, command.decided_by, command.decision_date, bool(command.ballots))
    tally = case.decide_recognition(**_arguments(command, "dossier_id"), competent=competent, chain=chain, committee=committee)
    return _decision(case, _tally_result(tally))


async def decide_name_removal(cases: CaseLog, registry: RegistryClient, command: c.DecideNameRemoval) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    competent, _chain, committee = await _decider(registry, case, command.decided_by, command.decision_date, bool(command.ballots))
    tally = case.decide_name_removal(**_arguments(command, "dossier_id"), competent=competent, committee=committee)
    return _decision(case, _tally_result(tally))


async def extend_decision_deadline(cases: CaseLog, registry: RegistryClient, command: c.ExtendDecisionDeadline) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    competent = await registry.competent_authority(case.cell, command.on)
    await _chain_here(registry, case, command.decided_by, command.on)
    case.extend_decision_deadline(**_arguments(command, "dossier_id"), competent=competent)
    return _decision(case)


# --- the other acts -------------------------------------------------------------------------------------


async def record_appraisal(cases: CaseLog, registry: RegistryClient, command: c.RecordAppraisal) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    chain = await _chain_here(registry, case, command.organisation, command.appraised_on)
    case.record_appraisal(**_arguments(command, "dossier_id"), chain=chain)
    return _decision(case)


async def record_cell_notified(cases: CaseLog, registry: RegistryClient, command: c.RecordCellNotified) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    if case.decision is not None:
        # The cell as it stood when decided: it may have been merged away since.
        await _chain_here(registry, case, case.cell, case.decision.decision_date)
    case.record_cell_notified(**_arguments(command, "dossier_id"))
    return _decision(case)


async def agree_ceremony_delay(cases: CaseLog, registry: RegistryClient, command: c.AgreeCeremonyDelay) -> Decision:
    case = await _open_case(cases, command.dossier_id, command)
    chain = await _chain_here(registry, case, command.agreed_by, command.agreed_on)
    case.agree_ceremony_delay(**_arguments(command, "dossier_id"), chain=chain)
    return _decision(case)


Handler = Callable[[CaseLog, RegistryClient, Any], Awaitable[Decision]]
