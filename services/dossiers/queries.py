"""What the dossiers service answers: `dossiers.query.dossier`, one dossier's step, papers, history of
events and open deadlines, rebuilt from its stream.

The declared personal history (birth date, religion, ethnicity, relatives, opinions) is not part
of that answer: it is sensitive (domain.md §6), and reading it in full is
`dossiers.query.personal_history`, for the roles that correct it, a recorded, scoped read through
the gateway.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from ketnap.domain.rules import recorded_rule_set
from ketnap.domain.rules.deadlines import official_date, party_age_months, probation_ends_on
from ketnap.domain.rules.validity import class_certificate_valid_until
from ketnap.platform.commands import NotFound
from ketnap.platform.positions import LatestOf
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.deadlines import open_deadlines
from ketnap.services.dossiers.dossier import Dossier
from ketnap.services.dossiers.handlers import Deps, load
from ketnap.services.dossiers.values import DossierId, IsoDate, Step


class DossierQuery(BaseModel):
    """One dossier; `on` is the day deadlines are measured against (today when left out)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_id: DossierId
    on: IsoDate | None = None


class NoFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


CELL_POSITIONS = LatestOf([ev.DossierTransferred.__name__])
"""A dossier's cell is set when it is opened and changed only by a transfer: the latest transfer's
position (`dossiers.query.cell_position`) tells whether any dossier's cell may have changed."""


class ProgressQuery(BaseModel):
    """Where a dossier stands, without anything personal: its step, version and open deadlines.
    For screens that poll; the gateway does not record it as a personal read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_id: DossierId
    on: IsoDate | None = None


async def progress(deps: Deps, query: ProgressQuery) -> dict[str, Any]:
    d = await load(deps.store, query.dossier_id)
    assert d.step is not None
    today = query.on or deps.today()
    return {
        "dossier_id": d.dossier_id,
        "cell": d.cell,
        "step": d.step.value,
        "step_label": d.step.label,
        "stream_version": d.version,
        "closed": d.closed,
        "suspended_on": _iso(d.suspended_on),
        "open_deadlines": [deadline.as_of(today) for deadline in open_deadlines(d)],
        "as_of": today.isoformat(),
    }


class PersonalHistoryQuery(BaseModel):
    """The declared personal history of one dossier, as it stands (the declaration or its latest
    correction): sensitive, for the people who correct it; the gateway records each read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_id: DossierId


async def personal_history(deps: Deps, query: PersonalHistoryQuery) -> dict[str, Any]:
    """Lý lịch (Mẫu 2-KNĐ) as declared or last corrected, with whether the certification covers it:
    what a correction starts from (a staffer changes one field, not retypes everything)."""
    d = await load(deps.store, query.dossier_id)
    declared = d.declaration
    if declared is None:
        raise NotFound("Hồ sơ này chưa khai lý lịch.", dossier_id=query.dossier_id)
    return {
        "dossier_id": d.dossier_id,
        "cell": d.cell,
        "stream_version": d.version,
        "declared_on": _iso(declared.declared_on),
        "corrections": d.corrections,
        "certified": bool(d.certification and d.certification.version > declared.version),
        "applicant": declared.applicant.model_dump(mode="json", exclude={"citizen_id", "full_name"}),
        "qualifications": declared.qualifications.model_dump(mode="json") if declared.qualifications else None,
        "relatives": [r.model_dump(mode="json") for r in declared.relatives],
        "family_planning_case": declared.family_planning_case,
    }


async def dossier(deps: Deps, query: DossierQuery) -> dict[str, Any]:
    return summary(await load(deps.store, query.dossier_id), query.on or deps.today())


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def summary(d: Dossier, today: date) -> dict[str, Any]:
    assert d.step is not None
    certificate = d.class_certificate
    papers: dict[str, Any] = {
        "class_certificate": None
        if certificate is None
        else {
            "certificate_number": certificate.certificate_number,
            "issued_on": _iso(certificate.issued_on),
            "issued_by": certificate.issued_by,
            "valid_until": _iso(
                class_certificate_valid_until(
                    certificate.issued_on, rules=recorded_rule_set(d.rule_sets.get("cell_vote", ""), certificate.issued_on)
                )
            ),
        },
        "application_letter_on": _iso(d.letter_on),
        "personal_history": None
        if d.declaration is None
        else {
            "declared_on": _iso(d.declaration.declared_on),
            "corrections": d.corrections,
            "certified_on": _iso(d.certification.certified_on) if d.certification else None,
            "certified_by": d.certification.certified_by if d.certification else None,
            "certification_current": bool(d.certification and d.certification.version > d.declaration.version),
            "cell_vote_blocked": bool(d.open_blocks),
        },
        "introductions": None
        if d.introductions is None
        else {
            "introducers": [
                {"citizen_id": i.citizen_id, "full_name": i.full_name, "introduced_on": _iso(i.introduced_on)}
                for i in d.introductions.introducers
            ],
            "union_resolution": d.introductions.union_resolution.model_dump(mode="json")
            if d.introductions.union_resolution
            else None,
        },
        "opinions": [{"source": o.source, "given_on": _iso(o.given_on)} for o in d.opinions],
        "provincial_agreements": {purpose: _iso(on) for purpose, on in d.agreements.items()},
    }
    admitted_on = d.decision.decision_date if d.decision else None
    ceremony_on = d.ceremony.held_on if d.ceremony else None
    return {
        "dossier_id": d.dossier_id,
        "stream_version": d.version,
        "cell": d.cell,
        "step": d.step.value,
        "step_label": d.step.label,
        "closed": d.closed,
        "suspended_on": _iso(d.suspended_on),
        "citizen_id": d.citizen_id,
        "full_name": d.full_name,
        "opened_on": _iso(d.opened_on),
        "helper_citizen_id": d.helper_citizen_id,
        "readmission": d.readmission.model_dump(mode="json", exclude={"dossier_id"}) if d.readmission else None,
        "taken_over_from_paper": d.taken_over.model_dump(mode="json", exclude={"dossier_id"}) if d.taken_over else None,
        "papers": papers,
        "cell_vote": {
            "ready_on": _iso(d.ready_on),
            "planned_meeting_on": _iso(d.planned_meeting_on),
            "resolution": d.resolution.model_dump(mode="json", exclude={"dossier_id"}) if d.resolution else None,
        },
        "admission": None
        if d.decision is None
        else {
            "decided_by": d.decision.decided_by,
            "decision_number": d.decision.decision_number,
            "decision_date": _iso(d.decision.decision_date),
            "received_by_cell_on": _iso(d.decision_received_on),
        },
        "probation": None
        if ceremony_on is None
        else {
            "starts_on": _iso(ceremony_on),
            "ends_on": _iso(probation_ends_on(ceremony_on)),
            "official_date": _iso(official_date(ceremony_on)),
            "helper_citizen_id": d.ceremony.helper_citizen_id if d.ceremony else None,
            "member_history_filed_on": _iso(d.member_history_filed_on),
            "new_member_class_on": _iso(d.new_member_class.issued_on) if d.new_member_class else None,
            "recognition_papers_completed_on": _iso(d.papers_completed_on),
            "escalated_to": d.escalated_to,
        },
        "official": d.official.model_dump(mode="json", exclude={"dossier_id", "citizen_id", "cell"}) if d.official else None,
        "party_age_months": party_age_months(admitted_on, today)
        if admitted_on is not None and d.step not in (Step.NAME_REMOVED, Step.REFUSED)
        else None,
        "ended": None
        if not d.closed or d.step is Step.OFFICIAL
        else {"step": d.step.value, "on": _iso(d.ended_on), "rule": d.ended_rule, "reason": d.ended_reason},
        "transfers": [t.model_dump(mode="json", exclude={"dossier_id", "cell"}) for t in d.transfers],
        "rule_sets": dict(d.rule_sets),
        "flags": [f.model_dump(mode="json", exclude={"dossier_id"}) for f in d.flags]
        + [{"rule": code, "decision": decision} for decision, codes in d.deadline_flags.items() for code in codes],
        "open_deadlines": [deadline.as_of(today) for deadline in open_deadlines(d)],
        "as_of": today.isoformat(),
        "history": [
            {
                "version": entry.version,
                "event_type": entry.event_type,
                "on": _iso(entry.on),
                "recorded_at": entry.recorded_at.isoformat() if entry.recorded_at else None,
                "actor": entry.actor,
            }
            for entry in d.timeline
        ],
    }
