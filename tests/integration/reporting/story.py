"""A realistic organisation told as the events its services record, appended to fresh source logs.

Each step appends what the real services append, built with their own event models (so a field
renamed there breaks these tests, not production reports): the dossiers service's record of the
dossier (with what its process manager records from verification and voting), the verification
case, the voting chain, and the registry's tree, rosters, localities, quotas and classes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from ketnap.domain.rules import rule_set_on
from ketnap.domain.rules.quality_ratings import scale_for_year
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.services.dossiers import events as dossiers
from ketnap.services.registry import events as registry
from ketnap.services.registry.ratings import QualityRating
from ketnap.services.registry.repository import load_rating
from ketnap.services.registry.values import ClassKind, MemberKind, OrganisationKind, PeriodKind, RatingSubject
from ketnap.services.verification import events as verification
from ketnap.services.voting import events as voting


@dataclass
class Logs:
    registry: EventStore
    dossiers: EventStore
    verification: EventStore
    voting: EventStore


def citizen(n: int) -> str:
    return f"0562{n:08d}"


@dataclass(frozen=True)
class Profile:
    """What the applicant declares (Mẫu 2-KNĐ) and the qualifications recorded with it."""

    birth_date: date
    gender: str
    ethnicity: str
    religion: str
    occupation: str
    general_education: str | None = "upper_secondary"
    professional_qualification: str | None = "none"
    youth_union_member: bool | None = False


class Story:
    def __init__(self, logs: Logs) -> None:
        self.logs = logs
        self._people = 0

    async def record(self, store: EventStore, stream: str, events: list[BaseModel], actor: str, organisation: str | None) -> None:
        await store.append(
            stream, ANY_VERSION, [e.to_new_event() for e in events], EventMetadata(actor=actor, organisation=organisation)  # type: ignore[attr-defined]
        )

    def person(self) -> str:
        self._people += 1
        return citizen(self._people)

    # --- registry --------------------------------------------------------------------------------------

    async def establish(self, code: str, name: str, kind: str, parent: str | None, on: date) -> None:
        event = registry.OrganisationEstablished(code=code, name=name, kind=OrganisationKind(kind), parent=parent, effective_from=on)
        await self.record(self.logs.registry, registry.organisation_stream(code), [event], "ban-to-chuc", parent or code)

    async def merge(self, code: str, into: str, on: date) -> None:
        event = registry.OrganisationMerged(code=code, into=into, effective_from=on, decision_number="125-QĐ/TU")
        await self.record(self.logs.registry, registry.organisation_stream(code), [event], "ban-to-chuc", into)

    async def rename(self, code: str, name: str, previous: str, on: date) -> None:
        event = registry.OrganisationRenamed(code=code, name=name, previous_name=previous, effective_from=on)
        await self.record(self.logs.registry, registry.organisation_stream(code), [event], "ban-to-chuc", code)

    async def quota(self, organisation: str, period: str, quantity: int, by: str, on: date) -> None:
        kind = PeriodKind.TERM if "-" in period else PeriodKind.YEAR
        event = registry.QuotaAssigned(
            organisation=organisation, period_kind=kind, period=period, quantity=quantity, assigned_by=by, decision_date=on
        )
        await self.record(self.logs.registry, registry.organisation_stream(organisation), [event], "ban-to-chuc", by)

    async def member(self, organisation: str, on: date, *, citizen_id: str | None = None, admitted_on: date | None = None) -> str:
        citizen_id = citizen_id or self.person()
        event = registry.MemberJoined(
            citizen_id=citizen_id, full_name="Đảng viên", organisation=organisation,
            kind=MemberKind.PROBATIONARY if admitted_on else MemberKind.OFFICIAL, effective_from=on, admitted_on=admitted_on,
            how="admission" if admitted_on else "registration",
        )
        await self.record(self.logs.registry, registry.person_stream(citizen_id), [event], "registry", organisation)
        return citizen_id

    async def locality(self, code: str, name: str, organisation: str, covered_by: str | None, on: date) -> None:
        event = registry.LocalityRegistered(code=code, name=name, kind="thôn", organisation=organisation, covered_by=covered_by, effective_from=on)
        await self.record(self.logs.registry, registry.locality_stream(code), [event], "ban-to-chuc", organisation)

    async def class_held(self, class_id: str, kind: str, organiser: str, start: date, end: date, attendees: int, certificates: int) -> None:
        people = [registry.Attendee(citizen_id=citizen(900000 + i), full_name="Học viên") for i in range(attendees)]
        events: list[BaseModel] = [
            registry.ClassHeld(class_id=class_id, kind=ClassKind(kind), organiser=organiser, title="Lớp bồi dưỡng",
                               start_date=start, end_date=end, attendees=people)
        ]
        if certificates:
            events.append(registry.CertificatesIssued(class_id=class_id, certificates=[
                registry.Certificate(citizen_id=p.citizen_id, number=f"{class_id}-{i}", issued_on=end) for i, p in enumerate(people[:certificates])
            ]))
        await self.record(self.logs.registry, registry.class_stream(class_id), events, "trung-tam-chinh-tri", organiser)

    async def rating(self, year: int, organisation: str, points: int, on: date, *, citizen_id: str | None = None) -> None:
        """A member's (citizen_id, in their cell `organisation`) or an organisation's rating, classified
        by the registry's own aggregate."""
        subject, key = (RatingSubject.MEMBER, citizen_id) if citizen_id else (RatingSubject.ORGANISATION, organisation)
        events = QualityRating(year, subject, key).rate(organisation=organisation, points=points, rated_on=on, scale=scale_for_year(year))
        await self.record(self.logs.registry, registry.rating_stream(year, subject, key), list(events), "ban-to-chuc", organisation)

    async def rating_corrected(self, year: int, points: int, on: date, *, organisation: str | None = None, citizen_id: str | None = None) -> None:
        """The registry's correction of a rating already in its log, with a reason."""
        subject, key = (RatingSubject.MEMBER, citizen_id) if citizen_id else (RatingSubject.ORGANISATION, organisation)
        assert key is not None
        rating = await load_rating(self.logs.registry, year, subject, key)
        events = rating.correct(points=points, corrected_on=on, reason="Tính lại điểm theo phiếu đánh giá")
        await self.record(self.logs.registry, rating.stream_id, list(events), "ban-to-chuc", rating.organisation)

    # --- a dossier ---------------------------------------------------------------------------------------

    async def dossier(self, cell: str, opened_on: date, profile: Profile) -> "DossierStory":
        story = DossierStory(self, str(uuid.uuid4()), cell, self.person(), profile)
        await story.dossiers([dossiers.DossierOpened(dossier_id=story.id, cell=cell, citizen_id=story.citizen_id, full_name="Nguyễn Thị Hoa",
                                                     opened_on=opened_on, helper_citizen_id=citizen(999999))])
        return story


@dataclass
class DossierStory:
    story: Story
    id: str
    cell: str
    citizen_id: str
    profile: Profile
    admitted_on: date | None = None
    ceremony_on: date | None = None
    with_qualifications: bool = field(default=True)

    async def dossiers(self, events: list[BaseModel]) -> None:
        await self.story.record(self.story.logs.dossiers, dossiers.stream_id(self.id), events, "chi-uy", self.cell)

    async def verification(self, events: list[BaseModel]) -> None:
        await self.story.record(self.story.logs.verification, f"verification-{self.id}", events, "dang-uy-co-so", self.cell)

    async def voting(self, events: list[BaseModel]) -> None:
        await self.story.record(self.story.logs.voting, f"voting-{self.id}", events, "thu-ky", self.cell)

    async def letter(self, on: date) -> None:
        await self.dossiers([dossiers.ApplicationLetterSubmitted(dossier_id=self.id, submitted_on=on)])

    async def declare(self, on: date, *, qualifications: bool = True) -> None:
        p = self.profile
        applicant = dossiers.DeclaredApplicant(
            citizen_id=self.citizen_id, full_name="Nguyễn Thị Hoa", birth_date=p.birth_date, gender=p.gender, ethnicity=p.ethnicity,
            religion=p.religion, occupation=p.occupation, police_officer=False, private_business_owner=False,
        )
        father = dossiers.DeclaredRelative(
            subject_id="father", relation="father", full_name="Nguyễn Văn Ba", birth_year=1960, residence_or_work="Thôn Tà Gụ",
            responding_organisation="UB-XA", is_party_member=False, member_citizen_id=None, fully_declared=False,
            foreign_national=False, adult_with_full_capacity=None,
        )
        events: list[BaseModel] = [
            dossiers.PersonalHistoryDeclared(dossier_id=self.id, cell=self.cell, applicant=applicant, relatives=[father],
                                             family_planning_case=False, declared_on=on)
        ]
        if qualifications:
            events.append(dossiers.QualificationsDeclared(dossier_id=self.id, declared_on=on, qualifications=dossiers.Qualifications(
                general_education=p.general_education, professional_qualification=p.professional_qualification,
                youth_union_member=bool(p.youth_union_member), youth_union_exists=True, area_exemption="mountain",
                village_elder_or_head=False,
            )))
        await self.dossiers(events)
        await self.verification([
            verification.VerificationOpened(dossier_id=self.id, cell=self.cell, subjects=[
                verification.SubjectSpec(subject_id="applicant", relation="applicant", method="field", template="standard"),
                verification.SubjectSpec(subject_id="father", relation="father", method="field", template="standard"),
            ]),
            verification.SubjectDetailsNoted(dossier_id=self.id, rule_set=rule_set_on(on).id, subjects=[
                verification.SubjectDetail(subject_id="father", responding_organisation="UB-XA", member_citizen_id=None),
            ]),
        ])

    async def certify(self, on: date, by: str) -> None:
        requests: list[BaseModel] = []
        for subject in ("applicant", "father"):
            requests += [
                verification.VerificationRequestSent(dossier_id=self.id, subject_id=subject, sent_to="UB-XA", sent_on=on, sent_by=by),
                verification.VerificationReplyRecorded(dossier_id=self.id, subject_id=subject, replied_on=on, responding_organisation="UB-XA",
                                                       finding="clear", note=None),
            ]
        await self.verification([*requests, verification.HistoryCertified(dossier_id=self.id, cell=self.cell, certified_by=by, certified_on=on)])
        await self.dossiers([dossiers.PersonalHistoryCertified(dossier_id=self.id, certified_by=by, certified_on=on)])

    async def ready(self, on: date) -> None:
        rules = rule_set_on(on).id
        await self.dossiers([
            dossiers.RulesChecked(dossier_id=self.id, decision="cell_vote", judged_on=on, rule_set=rules, rules=["AGE_MIN"], flags=[]),
            dossiers.ReadyForCellVote(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, full_name="Nguyễn Thị Hoa",
                                      birth_date=self.profile.birth_date, ready_on=on, rule_set=rules),
        ])
        await self.voting([voting.CaseOpened(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, full_name="Nguyễn Thị Hoa",
                                             ready_on=on, dossier_rule_set=rules)])

    async def cell_vote(self, on: date, *, adopted: bool = True) -> None:
        rules = rule_set_on(on).id
        agree, disagree = (3, 0) if adopted else (1, 2)
        roster = [voting.RosterLine(citizen_id=citizen(800000 + i), membership="official", status="active", present=True, counted=True)
                  for i in range(3)]
        ballots = [voting.Ballot(citizen_id=line.citizen_id, choice="agree" if i < agree else "disagree") for i, line in enumerate(roster)]
        resolution = voting.CellResolutionAdopted if adopted else voting.CellResolutionNotAdopted
        await self.voting([
            voting.VoteHeld(dossier_id=self.id, act="cell_resolution", organisation=self.cell, meeting_on=on, roster=roster, ballots=ballots,
                            denominator=3, required=2, agree=agree, disagree=disagree, abstain=0,
                            outcome="adopted" if adopted else "rejected", rule_set=rules),
            resolution(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, meeting_on=on, agree=agree, disagree=disagree,
                       denominator=3, entitled=[line.citizen_id for line in roster], rule_set=rules),
        ])
        recorded: list[BaseModel] = [dossiers.CellResolutionRecorded(dossier_id=self.id, adopted=adopted, meeting_on=on, agree=agree,
                                                                     disagree=disagree, denominator=3, rule_set=rules)]
        if not adopted:
            recorded.append(dossiers.DossierRejected(dossier_id=self.id, cell=self.cell, on=on, rule="CELL_2_3",
                                                     reason="Nghị quyết chi bộ không được thông qua"))
        await self.dossiers(recorded)

    async def decide(self, on: date, by: str, number: str) -> None:
        rules = rule_set_on(on).id
        await self.voting([
            voting.AuthorityChecked(dossier_id=self.id, act="admission_decision", decided_by=by, competent_authority=by, on=on, rule_set=rules),
            voting.AdmissionDecided(dossier_id=self.id, citizen_id=self.citizen_id, full_name="Nguyễn Thị Hoa", organisation=self.cell,
                                    decided_by=by, decision_number=number, decision_date=on, rule_set=rules),
        ])
        await self.dossiers([dossiers.AdmissionDecisionRecorded(dossier_id=self.id, decided_by=by, decision_number=number, decision_date=on,
                                                                rule_set=rules)])
        await self.story.member(self.cell, on, citizen_id=self.citizen_id, admitted_on=on)
        self.admitted_on = on

    async def notify(self, on: date) -> None:
        await self.voting([voting.CellNotified(dossier_id=self.id, organisation=self.cell, received_on=on)])
        await self.dossiers([dossiers.DecisionReceivedByCell(dossier_id=self.id, received_on=on)])

    async def delay_agreed(self, on: date, by: str) -> None:
        await self.voting([voting.CeremonyDelayAgreed(dossier_id=self.id, agreed_by=by, agreed_on=on)])

    async def ceremony(self, on: date, received_on: date) -> None:
        await self.dossiers([
            dossiers.CeremonyHeld(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, held_on=on, received_decision_on=received_on,
                                  helper_citizen_id=citizen(999999)),
            dossiers.RulesChecked(dossier_id=self.id, decision="ceremony", judged_on=on, rule_set=rule_set_on(on).id,
                                  rules=["CEREMONY_HELPER", "CEREMONY_30WD"], flags=[]),
        ])
        await self.voting([voting.CeremonyRecorded(dossier_id=self.id, cell=self.cell, held_on=on, received_decision_on=received_on)])
        self.ceremony_on = on

    async def history_filed(self, on: date) -> None:
        await self.dossiers([dossiers.MemberHistoryFiled(dossier_id=self.id, filed_on=on)])

    async def recognition_papers(self, on: date) -> None:
        await self.dossiers([
            dossiers.RecognitionPapersRecorded(dossier_id=self.id, self_review_on=on, helper_review_on=on, opinions_on=on),
            dossiers.RecognitionPapersCompleted(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, completed_on=on),
        ])
        await self.voting([voting.RecognitionPapersRecorded(dossier_id=self.id, completed_on=on)])

    async def recognition_vote(self, on: date) -> None:
        await self.voting([voting.RecognitionResolutionAdopted(dossier_id=self.id, organisation=self.cell, level="cell", meeting_on=on,
                                                               agree=3, disagree=0, denominator=3, rule_set=rule_set_on(on).id)])

    async def recognition_grassroots_vote(self, on: date, organisation: str) -> None:
        await self.voting([voting.RecognitionResolutionAdopted(dossier_id=self.id, organisation=organisation, level="grassroots",
                                                               meeting_on=on, agree=5, disagree=0, denominator=5, rule_set=rule_set_on(on).id)])

    async def admission_extended(self, on: date, by: str, working_days: int) -> None:
        """The admission decision's one extension, as voting records it and the dossiers service mirrors it."""
        await self.voting([voting.DecisionDeadlineExtended(dossier_id=self.id, by_working_days=working_days, decided_by=by, on=on)])
        await self.dossiers([dossiers.DecisionDeadlineExtensionRecorded(dossier_id=self.id, by_working_days=working_days, decided_by=by, on=on)])

    async def recognition_extended(self, on: date, by: str, working_days: int) -> None:
        """Voting records the extension of the pending recognition decision; the dossiers service records nothing."""
        await self.voting([
            voting.AuthorityChecked(dossier_id=self.id, act="decision_extension", decided_by=by, competent_authority=by, on=on,
                                    rule_set=rule_set_on(on).id),
            voting.DecisionDeadlineExtended(dossier_id=self.id, by_working_days=working_days, decided_by=by, on=on),
        ])

    async def name_removed(self, on: date, by: str) -> None:
        reason = "Không đủ tiêu chuẩn đảng viên chính thức"
        await self.voting([voting.NameRemovalDecided(dossier_id=self.id, citizen_id=self.citizen_id, organisation=self.cell, decided_by=by,
                                                     decision_date=on, reason=reason)])
        await self.dossiers([dossiers.NameRemoved(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, decided_by=by,
                                                  decision_date=on, reason=reason)])

    async def recognised(self, on: date, by: str, number: str) -> None:
        assert self.ceremony_on is not None and self.admitted_on is not None
        official = self.ceremony_on.replace(year=self.ceremony_on.year + 1)
        await self.voting([voting.RecognitionDecided(dossier_id=self.id, citizen_id=self.citizen_id, organisation=self.cell, decided_by=by,
                                                     decision_number=number, decision_date=on, official_date=official)])
        await self.dossiers([dossiers.BecameOfficialMember(dossier_id=self.id, cell=self.cell, citizen_id=self.citizen_id, official_date=official,
                                                           decided_by=by, decision_number=number, decision_date=on, admitted_on=self.admitted_on)])

    async def withdraw(self, on: date) -> None:
        await self.dossiers([dossiers.DossierWithdrawn(dossier_id=self.id, cell=self.cell, on=on)])

    async def reject(self, on: date, rule: str | None, reason: str) -> None:
        await self.dossiers([dossiers.DossierRejected(dossier_id=self.id, cell=self.cell, on=on, rule=rule, reason=reason)])

    async def suspend(self, on: date) -> None:
        await self.dossiers([dossiers.DossierSuspended(dossier_id=self.id, cell=self.cell, on=on)])

    async def admit(self, letter: date, declared: date, certified: date, ready: date, voted: date, decided: date, *, by: str, number: str) -> None:
        """Every step from the letter to the admission decision, on these days."""
        await self.letter(letter)
        await self.declare(declared, qualifications=self.with_qualifications)
        await self.certify(certified, by="DU-CERT")
        await self.ready(ready)
        await self.cell_vote(voted)
        await self.decide(decided, by, number)
