"""The registry's command handlers: load the record's stream, ask the read model for facts about
other records as of the effective date, let the aggregate decide, check the actor's scope.

Each handler returns a `Decision` for one stream; the platform appends it with event ids derived
from the idempotency key, at the version the aggregate was loaded at (or the version the user saw,
`expected_version`), so a concurrent change of the same record is a `conflict`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol

from ketnap.domain.calendar import today_in_vietnam
from ketnap.domain.rules.quality_ratings import reference_day, scale_by_id, scale_for_year
from ketnap.platform.commands import Command, Decision, InvalidInput
from ketnap.platform.service import ServiceContext
from ketnap.services.registry import commands as c
from ketnap.services.registry import errors
from ketnap.services.registry.dossiers_client import open_dossiers_in
from ketnap.services.registry.events import Attendee, Certificate, Event, QualityRated, QualityRatingCorrected, SplitPart
from ketnap.services.registry.importer import import_bytes
from ketnap.services.registry.member import Person
from ketnap.services.registry.organisation import UnitView
from ketnap.services.registry.readmodel import RegistryView, current_view
from ketnap.services.registry.repository import load_class, load_locality, load_organisation, load_person, load_rating
from ketnap.services.registry.values import MemberKind, OrganisationKind, RatingSubject


class Aggregate(Protocol):
    version: int

    @property
    def stream_id(self) -> str: ...


def decided(aggregate: Aggregate, events: list[Event], expected_version: int | None = None, **result: Any) -> Decision:
    return Decision(
        aggregate.stream_id,
        aggregate.version if expected_version is None else expected_version,
        [event.to_new_event() for event in events],
        result,
    )


today: Callable[[], date] = today_in_vietnam
"""The day authority is judged on (docs/gateway.md, "Scope on today's tree")."""


async def authorise(view: RegistryView, scope: str, code: str, on: date) -> None:
    """The actor's organisation must hold authority over the unit today: be the unit or above it in
    today's tree, or, for a unit that has ended, above what took its place. An act dated `on` in
    the past reaches nothing the actor does not hold now, and a unit that has ended acts no more."""
    chain = await view.authority(code, today())
    if not chain:
        raise errors.OrganisationNotFound(code, on)
    if scope not in chain:
        raise errors.OutOfScope(scope, code)


async def _current_parent(view: RegistryView, code: str, on: date) -> str | None:
    row = await view.unit(code, on)
    return row["parent"] if row else None


# --- the tree --------------------------------------------------------------------------------------


async def establish_organisation(ctx: ServiceContext, cmd: c.EstablishOrganisation) -> Decision:
    """Thành lập tổ chức đảng: a new unit of the tree, under an existing parent (or a root)."""
    organisation = await load_organisation(ctx.store, cmd.code)
    async with current_view(ctx) as view:
        stored = await view.stored_code(cmd.code)
        if stored is not None and stored != cmd.code:
            raise errors.OrganisationAlreadyExists(cmd.code, stored)
        parent = await view.unit_view(cmd.parent, cmd.effective_from)
        events = organisation.establish(
            name=cmd.name, kind=cmd.kind, parent_code=cmd.parent, parent=parent, effective_from=cmd.effective_from,
            decision_number=cmd.decision_number,
        )
        if cmd.parent is not None:
            await authorise(view, cmd.scope, cmd.parent, cmd.effective_from)
        elif cmd.scope != cmd.code:
            raise errors.OutOfScope(cmd.scope, cmd.code)
    return decided(organisation, events, code=cmd.code)


async def rename_organisation(ctx: ServiceContext, cmd: c.RenameOrganisation) -> Decision:
    """Đổi tên tổ chức từ một ngày."""
    organisation = await load_organisation(ctx.store, cmd.code)
    events = organisation.rename(cmd.name, cmd.effective_from, cmd.decision_number)
    async with current_view(ctx) as view:
        await authorise(view, cmd.scope, cmd.code, cmd.effective_from)
    return decided(organisation, events, cmd.expected_version)


async def reclassify_organisation(ctx: ServiceContext, cmd: c.ReclassifyOrganisation) -> Decision:
    """Đổi loại tổ chức (ví dụ đảng bộ xã thành cấp trên cơ sở từ 01/07/2025)."""
    organisation = await load_organisation(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        parent = await view.unit_view(await _current_parent(view, cmd.code, on), on)
        children = await view.children(cmd.code, on)
        members = await view.member_count_in([cmd.code], on)
        events = organisation.reclassify(
            cmd.kind, parent=parent, child_kinds=[OrganisationKind(ch["kind"]) for ch in children],
            has_members=members > 0, effective_from=on, decision_number=cmd.decision_number,
        )
        await authorise(view, cmd.scope, cmd.code, on)
    return decided(organisation, events, cmd.expected_version)


async def move_organisation(ctx: ServiceContext, cmd: c.MoveOrganisation) -> Decision:
    """Chuyển tổ chức (với cả cây con và đảng viên) sang trực thuộc tổ chức khác."""
    organisation = await load_organisation(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        parent = await view.unit_view(cmd.parent, on)
        chains = await view.chains_from(cmd.parent, on, item=cmd.code) if parent else []
        events = organisation.move(
            parent_code=cmd.parent, parent=parent, current_parent=await _current_parent(view, cmd.code, on),
            parent_chains=chains, effective_from=on, decision_number=cmd.decision_number,
        )
        await authorise(view, cmd.scope, cmd.code, on)
        await authorise(view, cmd.scope, cmd.parent, on)
    return decided(organisation, events, cmd.expected_version)


async def grant_admission_authority(ctx: ServiceContext, cmd: c.GrantAdmissionAuthority) -> Decision:
    """Ủy quyền kết nạp cho đảng ủy cơ sở (số, ngày quyết định, ngày hiệu lực)."""
    organisation = await load_organisation(ctx.store, cmd.code)
    async with current_view(ctx) as view:
        above = await view.chain(cmd.code, cmd.effective_from)
        events = organisation.grant_admission_authority(
            decision_number=cmd.decision_number, decision_date=cmd.decision_date, effective_from=cmd.effective_from,
            granted_by=above[1] if len(above) > 1 else None,
        )
        if cmd.scope not in above[1:] or cmd.scope not in (await view.authority(cmd.code, today()))[1:]:
            raise errors.OutOfScope(cmd.scope, cmd.code)  # authority comes from above (today too), never from oneself
    return decided(organisation, events, cmd.expected_version)


async def revoke_admission_authority(ctx: ServiceContext, cmd: c.RevokeAdmissionAuthority) -> Decision:
    organisation = await load_organisation(ctx.store, cmd.code)
    events = organisation.revoke_admission_authority(effective_from=cmd.effective_from, decision_number=cmd.decision_number)
    async with current_view(ctx) as view:
        if cmd.scope not in (await view.authority(cmd.code, today()))[1:]:
            raise errors.OutOfScope(cmd.scope, cmd.code)
    return decided(organisation, events, cmd.expected_version)


async def merge_organisation(ctx: ServiceContext, cmd: c.MergeOrganisation) -> Decision:
    """Sáp nhập: the unit ends and everything in it continues in `into`."""
    organisation = await load_organisation(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        into = await view.unit_view(cmd.into, on)
        chains = await view.chains_from(cmd.into, on, item=cmd.code) if into else []
        events = organisation.merge_into(
            into_code=cmd.into, into=into, into_chains=chains, effective_from=on, decision_number=cmd.decision_number
        )
        await authorise(view, cmd.scope, cmd.code, on)
        await authorise(view, cmd.scope, cmd.into, on)
    return decided(organisation, events, cmd.expected_version, ended_on=on.isoformat(), into=cmd.into)


async def split_organisation(ctx: ServiceContext, cmd: c.SplitOrganisation) -> Decision:
    """Chia tách: the unit ends; members, child units and localities go to the parts."""
    organisation = await load_organisation(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        units: dict[str, UnitView | None] = {}
        chains = {}
        for part in cmd.parts:
            units[part.code] = await view.unit_view(part.code, on)
            if units[part.code] is not None:
                chains[part.code] = await view.chains_from(part.code, on)
        members = {m["citizen_id"] for m in await view.members(cmd.code, on)}
        members |= {m["citizen_id"] for m in await view.temporary_members(cmd.code, on)}
        events = organisation.split(
            parts=[SplitPart(code=p.code, members=p.members, children=p.children, localities=p.localities) for p in cmd.parts],
            part_units=units,
            part_chains=chains,
            members=members,
            children={ch["code"] for ch in await view.children(cmd.code, on)},
            localities={loc["code"] for loc in await view.localities_referencing(cmd.code, on)},
            effective_from=on,
            decision_number=cmd.decision_number,
        )
        await authorise(view, cmd.scope, cmd.code, on)
        for part in cmd.parts:
            await authorise(view, cmd.scope, part.code, on)
    return decided(organisation, events, cmd.expected_version, ended_on=on.isoformat())


async def dissolve_organisation(ctx: ServiceContext, cmd: c.DissolveOrganisation, *, dossiers: str | None = "dossiers") -> Decision:
    """Giải thể: only a unit with no member, child unit, locality or open dossier left from that date
    (DISSOLVE_EMPTY). `dossiers`: the service whose dossiers live in the units (None: a registry
    alone, whose units hold none); it is asked in the tree's turn, in which it also opens and moves
    dossiers, so a dossier never lands in the unit once it is dissolved."""
    organisation = await load_organisation(ctx.store, cmd.code)
    async with current_view(ctx) as view:
        members, children, localities = await view.attached_from(cmd.code, cmd.effective_from)

        def dissolve(open_dossiers: int) -> list[Event]:
            return organisation.dissolve(
                members=members, children=children, localities=localities, open_dossiers=open_dossiers,
                effective_from=cmd.effective_from, decision_number=cmd.decision_number, reason=cmd.reason,
            )

        dissolve(0)  # the unit's own record first: no other service is asked about a unit that cannot go anyway
        await authorise(view, cmd.scope, cmd.code, cmd.effective_from)
    events = dissolve(await open_dossiers_in(ctx, dossiers, cmd.code) if dossiers else 0)
    return decided(organisation, events, cmd.expected_version, ended_on=cmd.effective_from.isoformat())


# --- committees ------------------------------------------------------------------------------------


async def appoint_committee_member(ctx: ServiceContext, cmd: c.AppointCommitteeMember) -> Decision:
    """Cấp ủy viên: an official member of the unit or of a unit below it."""
    organisation = await load_organisation(ctx.store, cmd.organisation)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        membership = await view.membership(cmd.citizen_id, on)
        member_kind = None
        if membership is not None and await view.is_within(membership["organisation"], cmd.organisation, on):
            member_kind = MemberKind(membership["kind"])
        events = organisation.appoint_committee_member(
            citizen_id=cmd.citizen_id, role=cmd.role, member_kind=member_kind, effective_from=on,
            decision_number=cmd.decision_number,
        )
        await authorise(view, cmd.scope, cmd.organisation, on)
    return decided(organisation, events)


async def end_committee_membership(ctx: ServiceContext, cmd: c.EndCommitteeMembership) -> Decision:
    organisation = await load_organisation(ctx.store, cmd.organisation)
    events = organisation.end_committee_membership(
        citizen_id=cmd.citizen_id, effective_from=cmd.effective_from, reason=cmd.reason
    )
    async with current_view(ctx) as view:
        await authorise(view, cmd.scope, cmd.organisation, cmd.effective_from)
    return decided(organisation, events)


# --- members ---------------------------------------------------------------------------------------


async def _home(view: RegistryView, person: Person, on: date) -> str:
    """The cell the member belongs to on `on`, after merges and splits."""
    row = await view.membership(person.citizen_id, on)
    if row is not None:
        return row["organisation"]
    if person.membership is not None:
        return await view.resolve(person.membership.organisation, on, person.citizen_id)
    if person.version:  # a member once: their membership ended (perhaps by the act this one races)
        raise errors.MembershipEnded(person.clock)
    raise errors.NotAMember(on)


async def register_member(ctx: ServiceContext, cmd: c.RegisterMember) -> Decision:
    """Đăng ký đảng viên đã có vào sổ (chuyển đến, bổ sung)."""
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        if person.membership is not None:
            raise errors.AlreadyMember(await _home(view, person, cmd.effective_from))
        events = person.join(
            full_name=cmd.full_name, organisation=cmd.organisation,
            unit=await view.unit_view(cmd.organisation, cmd.effective_from), kind=cmd.kind, status=cmd.status,
            effective_from=cmd.effective_from, admitted_on=cmd.admitted_on, official_since=cmd.official_since,
        )
        await authorise(view, cmd.scope, cmd.organisation, cmd.effective_from)
    return decided(person, events)


async def record_paper_admission(ctx: ServiceContext, cmd: c.RecordPaperAdmission) -> Decision:
    """Tiếp nhận quyết định kết nạp làm trên giấy (`Person.take_over_paper_admission` judges it)."""
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        if person.membership is not None:
            raise errors.AlreadyMember(await _home(view, person, cmd.decision_date))
        joined_on = cmd.ceremony_on or cmd.decision_date
        events = person.take_over_paper_admission(
            cmd, unit=await view.unit_view(cmd.organisation, joined_on),
            above=(await view.chain(cmd.organisation, cmd.decision_date))[1:],
        )
        await authorise(view, cmd.scope, cmd.organisation, joined_on)
    return decided(person, events)


async def change_member_status(ctx: ServiceContext, cmd: c.ChangeMemberStatus) -> Decision:
    """Miễn sinh hoạt, đình chỉ sinh hoạt, trở lại sinh hoạt."""
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        home = await _home(view, person, cmd.effective_from)
        events = person.change_status(status=cmd.status, organisation=home, effective_from=cmd.effective_from, reason=cmd.reason)
        await authorise(view, cmd.scope, home, cmd.effective_from)
    return decided(person, events, cmd.expected_version)


async def transfer_member(ctx: ServiceContext, cmd: c.TransferMember) -> Decision:
    """Chuyển sinh hoạt đảng chính thức hoặc tạm thời."""
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        home = await _home(view, person, cmd.effective_from)
        events = person.transfer(
            transfer=cmd.transfer, from_organisation=home, to_organisation=cmd.to_organisation,
            to_unit=await view.unit_view(cmd.to_organisation, cmd.effective_from), effective_from=cmd.effective_from,
            reason=cmd.reason,
        )
        await authorise(view, cmd.scope, home, cmd.effective_from)
    return decided(person, events, cmd.expected_version)


async def return_member(ctx: ServiceContext, cmd: c.ReturnMember) -> Decision:
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        home = await _home(view, person, cmd.effective_from)
        events = person.return_from_transfer(organisation=home, effective_from=cmd.effective_from)
        await authorise(view, cmd.scope, home, cmd.effective_from)
    return decided(person, events, cmd.expected_version)


async def remove_member_name(ctx: ServiceContext, cmd: c.RemoveMemberName) -> Decision:
    person = await load_person(ctx.store, cmd.citizen_id)
    async with current_view(ctx) as view:
        home = await _home(view, person, cmd.effective_from)
        events = person.remove_name(
            organisation=home, effective_from=cmd.effective_from, decided_by=cmd.decided_by,
            decision_number=cmd.decision_number, reason=cmd.reason,
        )
        await authorise(view, cmd.scope, home, cmd.effective_from)
    return decided(person, events, cmd.expected_version)


# --- localities, quotas, classes --------------------------------------------------------------------


async def register_locality(ctx: ServiceContext, cmd: c.RegisterLocality) -> Decision:
    """Địa bàn (thôn, tổ dân phố) của một tổ chức, và chi bộ phụ trách (nếu có)."""
    locality = await load_locality(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        events = locality.register(
            name=cmd.name, kind=cmd.kind, organisation=cmd.organisation, unit=await view.unit_view(cmd.organisation, on),
            covered_by=cmd.covered_by, cell=await view.unit_view(cmd.covered_by, on),
            cell_within=cmd.covered_by is not None and await view.is_within(cmd.covered_by, cmd.organisation, on),
            effective_from=on,
        )
        await authorise(view, cmd.scope, cmd.organisation, on)
    return decided(locality, events)


async def change_locality_coverage(ctx: ServiceContext, cmd: c.ChangeLocalityCoverage) -> Decision:
    locality = await load_locality(ctx.store, cmd.code)
    on = cmd.effective_from
    async with current_view(ctx) as view:
        row = await view.locality(cmd.code, on)
        organisation = row["organisation"] if row else locality.organisation
        events = locality.change_coverage(
            covered_by=cmd.covered_by, cell=await view.unit_view(cmd.covered_by, on),
            cell_within=cmd.covered_by is not None and await view.is_within(cmd.covered_by, organisation, on),
            organisation=organisation, effective_from=on,
        )
        await authorise(view, cmd.scope, organisation, on)
    return decided(locality, events, cmd.expected_version)


async def assign_quota(ctx: ServiceContext, cmd: c.AssignQuota) -> Decision:
    """Giao chỉ tiêu kết nạp, by an organisation above the one receiving it; a unit with none above it
    (the province of a deployment) records the quota it was given as its own (assigned_by = itself)."""
    organisation = await load_organisation(ctx.store, cmd.organisation)
    async with current_view(ctx) as view:
        above = (await view.chain(cmd.organisation, cmd.decision_date))[1:]
        events = organisation.assign_quota(
            period=cmd.period, quantity=cmd.quantity, assigned_by=cmd.assigned_by,
            assigned_by_is_above=cmd.assigned_by in above, decision_date=cmd.decision_date,
            decision_number=cmd.decision_number, has_unit_above=bool(above),
        )
        await authorise(view, cmd.scope, cmd.assigned_by, cmd.decision_date)
    return decided(organisation, events)


async def change_quota(ctx: ServiceContext, cmd: c.ChangeQuota) -> Decision:
    """Điều chỉnh chỉ tiêu, with a reason; the history keeps every figure."""
    organisation = await load_organisation(ctx.store, cmd.organisation)
    events = organisation.change_quota(
        period=cmd.period, quantity=cmd.quantity, reason=cmd.reason, decision_date=cmd.decision_date,
        decision_number=cmd.decision_number,
    )
    async with current_view(ctx) as view:
        await authorise(view, cmd.scope, organisation.quotas[cmd.period].assigned_by, cmd.decision_date)
    return decided(organisation, events, cmd.expected_version)


async def record_class(ctx: ServiceContext, cmd: c.RecordClass) -> Decision:
    """Lớp bồi dưỡng nhận thức về Đảng / lớp đảng viên mới đã mở, với danh sách học viên."""
    held = await load_class(ctx.store, cmd.class_id)
    async with current_view(ctx) as view:
        events = held.record(
            kind=cmd.kind, organiser=cmd.organiser, organiser_unit=await view.unit_view(cmd.organiser, cmd.start_date),
            title=cmd.title, start_date=cmd.start_date, end_date=cmd.end_date,
            attendees=[Attendee(citizen_id=a.citizen_id, full_name=a.full_name) for a in cmd.attendees],
        )
        await authorise(view, cmd.scope, cmd.organiser, cmd.start_date)
    return decided(held, events)


async def issue_certificates(ctx: ServiceContext, cmd: c.IssueCertificates) -> Decision:
    """Cấp giấy chứng nhận (số, ngày cấp) cho học viên của lớp."""
    held = await load_class(ctx.store, cmd.class_id)
    events = held.issue_certificates(
        [Certificate(citizen_id=x.citizen_id, number=x.number, issued_on=x.issued_on) for x in cmd.certificates]
    )
    async with current_view(ctx) as view:
        assert held.start_date is not None
        await authorise(view, cmd.scope, held.organiser, held.start_date)
    return decided(held, events)


# --- annual quality ratings -------------------------------------------------------------------------


def _rated_subject(cmd: c.RecordQualityRating | c.CorrectQualityRating) -> tuple[RatingSubject, str]:
    if (cmd.citizen_id is None) == (cmd.organisation is None):
        raise errors.OneRatingSubject()
    if cmd.citizen_id is not None:
        return RatingSubject.MEMBER, cmd.citizen_id
    assert cmd.organisation is not None
    return RatingSubject.ORGANISATION, cmd.organisation


async def _rated_organisation(view: RegistryView, subject: RatingSubject, key: str, on: date) -> str:
    """The member's cell on the rating's reference day, or the rated organisation if it existed then."""
    if subject is RatingSubject.MEMBER:
        membership = await view.membership(key, on)
        if membership is None:
            raise errors.NotAMember(on)
        return membership["organisation"]
    if await view.unit(key, on) is None:
        raise errors.OrganisationNotFound(key, on)
    return key


async def record_quality_rating(ctx: ServiceContext, cmd: c.RecordQualityRating) -> Decision:
    """Đánh giá, xếp loại chất lượng hằng năm; the class comes from the points (shared/domain/rules)."""
    subject, key = _rated_subject(cmd)
    rating = await load_rating(ctx.store, cmd.year, subject, key)
    scale = scale_for_year(cmd.year)
    on = reference_day(cmd.year, cmd.rated_on)
    async with current_view(ctx) as view:
        organisation = await _rated_organisation(view, subject, key, on)
        events = rating.rate(
            organisation=organisation, points=cmd.points, rated_on=cmd.rated_on, scale=scale,
            decision_number=cmd.decision_number,
        )
        await authorise(view, cmd.scope, organisation, on)
    rated = events[0]
    assert isinstance(rated, QualityRated)
    return decided(
        rating, events, organisation=organisation, classification=rated.classification.value,
        label=scale.band(rated.classification).label,
    )


async def correct_quality_rating(ctx: ServiceContext, cmd: c.CorrectQualityRating) -> Decision:
    """Điều chỉnh kết quả xếp loại, with a reason; scope is checked where the rating was made."""
    subject, key = _rated_subject(cmd)
    rating = await load_rating(ctx.store, cmd.year, subject, key)
    events = rating.correct(
        points=cmd.points, corrected_on=cmd.corrected_on, reason=cmd.reason, decision_number=cmd.decision_number
    )
    corrected = events[0]
    assert isinstance(corrected, QualityRatingCorrected) and rating.rated_on is not None
    async with current_view(ctx) as view:
        await authorise(view, cmd.scope, rating.organisation, reference_day(cmd.year, rating.rated_on))
    label = scale_by_id(corrected.scale).band(corrected.classification).label
    return decided(
        rating, events, cmd.expected_version, organisation=rating.organisation,
        classification=corrected.classification.value, label=label,
    )


def _file_bytes(cmd: c.ImportRecords) -> bytes:
    """The file as uploaded: the importer's one reader (`records_of`) tells a workbook from text."""
    if cmd.encoding == "utf-8":
        return cmd.content.encode()
    try:
        return base64.b64decode(cmd.content, validate=True)
    except binascii.Error:
        raise InvalidInput("Nội dung tệp không phải base64 hợp lệ.", field="content") from None


async def import_records(ctx: ServiceContext, cmd: c.ImportRecords) -> Decision:
    """Nhập dữ liệu từ tệp: the importer checks every row (and that each lies in `organisation`'s
    subtree) and, unless a dry run, writes all in one transaction with ids from the file's digest
    (the same file twice records nothing twice). The answer lists every row's problem."""
    result = await import_bytes(
        ctx.pool, _file_bytes(cmd), cmd.file_name, schema=ctx.name, actor=cmd.actor, dry_run=cmd.dry_run, within=cmd.organisation,
        dossiers_taken_over=cmd.dossiers_taken_over,
    )
    return Decision(f"import-{cmd.organisation}", 0, [], {
        "problems": [{"line": p.line, "field": p.field, "reason": p.reason} for p in result.problems],
        "counts": result.counts, "events": result.events, "written": result.written, "dry_run": cmd.dry_run,
    })


COMMANDS: list[tuple[str, type[Command], Callable[[ServiceContext, Any], Awaitable[Decision]]]] = [
    ("establish_organisation", c.EstablishOrganisation, establish_organisation),
    ("import_records", c.ImportRecords, import_records),
    ("rename_organisation", c.RenameOrganisation, rename_organisation),
    ("reclassify_organisation", c.ReclassifyOrganisation, reclassify_organisation),
    ("move_organisation", c.MoveOrganisation, move_organisation),
    ("grant_admission_authority", c.GrantAdmissionAuthority, grant_admission_authority),
    ("revoke_admission_authority", c.RevokeAdmissionAuthority, revoke_admission_authority),
    ("merge_organisation", c.MergeOrganisation, merge_organisation),
    ("split_organisation", c.SplitOrganisation, split_organisation),
    ("dissolve_organisation", c.DissolveOrganisation, dissolve_organisation),
    ("appoint_committee_member", c.AppointCommitteeMember, appoint_committee_member),
    ("end_committee_membership", c.EndCommitteeMembership, end_committee_membership),
    ("register_member", c.RegisterMember, register_member),
    ("record_paper_admission", c.RecordPaperAdmission, record_paper_admission),
    ("change_member_status", c.ChangeMemberStatus, change_member_status),
    ("transfer_member", c.TransferMember, transfer_member),
    ("return_member", c.ReturnMember, return_member),
    ("remove_member_name", c.RemoveMemberName, remove_member_name),
    ("register_locality", c.RegisterLocality, register_locality),
    ("change_locality_coverage", c.ChangeLocalityCoverage, change_locality_coverage),
    ("assign_quota", c.AssignQuota, assign_quota),
    ("change_quota", c.ChangeQuota, change_quota),
    ("record_class", c.RecordClass, record_class),
    ("issue_certificates", c.IssueCertificates, issue_certificates),
    ("record_quality_rating", c.RecordQualityRating, record_quality_rating),
    ("correct_quality_rating", c.CorrectQualityRating, correct_quality_rating),
]
"""Every command: its name (subject `registry.cmd.<name>`), its model and its handler."""
