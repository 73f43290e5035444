"""Classes held (lớp bồi dưỡng): awareness classes for applicants and classes for new members, their
attendees and the certificates issued (number, date), which the dossiers check (CLASS_VALID)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ketnap.platform.commands import InvalidInput
from ketnap.services.registry import errors
from ketnap.services.registry.events import Attendee, Certificate, CertificatesIssued, ClassHeld, Event, class_stream
from ketnap.services.registry.organisation import UnitView
from ketnap.services.registry.values import ClassKind


@dataclass
class TrainingClass:
    class_id: str
    version: int = 0
    organiser: str = ""
    start_date: date | None = None
    end_date: date | None = None
    attendees: set[str] = field(default_factory=set)
    certified: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)

    @property
    def stream_id(self) -> str:
        return class_stream(self.class_id)

    @classmethod
    def from_history(cls, class_id: str, events: Iterable[Event]) -> "TrainingClass":
        held = cls(class_id)
        for event in events:
            held.apply(event)
        return held

    def apply(self, event: Event) -> None:
        self.version += 1
        match event:
            case ClassHeld():
                self.organiser, self.start_date, self.end_date = event.organiser, event.start_date, event.end_date
                self.attendees = {a.citizen_id for a in event.attendees}
            case CertificatesIssued():
                self.certified |= {c.citizen_id for c in event.certificates}
                self.numbers |= {c.number for c in event.certificates}

    def record(
        self,
        *,
        kind: ClassKind,
        organiser: str,
        organiser_unit: UnitView | None,
        title: str | None,
        start_date: date,
        end_date: date,
        attendees: Sequence[Attendee],
    ) -> list[Event]:
        if self.version:
            raise errors.ClassAlreadyRecorded(self.class_id)
        if organiser_unit is None:
            raise errors.UnknownOrganisation(organiser, start_date, role="Tổ chức mở lớp")
        if end_date < start_date:
            raise InvalidInput("Ngày kết thúc lớp không thể trước ngày khai giảng.")
        if not attendees:
            raise InvalidInput("Lớp phải có ít nhất một học viên.")
        seen: set[str] = set()
        for index, attendee in enumerate(attendees):
            if attendee.citizen_id in seen:
                raise errors.DuplicateInList("Học viên", index)
            seen.add(attendee.citizen_id)
        return [
            ClassHeld(
                class_id=self.class_id, kind=kind, organiser=organiser, title=title, start_date=start_date,
                end_date=end_date, attendees=list(attendees),
            )
        ]

    def issue_certificates(self, certificates: Sequence[Certificate]) -> list[Event]:
        if not self.version:
            raise errors.ClassNotFound(self.class_id)
        assert self.end_date is not None
        if not certificates:
            raise InvalidInput("Danh sách giấy chứng nhận trống.")
        people: set[str] = set()
        numbers: set[str] = set()
        for index, certificate in enumerate(certificates):
            if certificate.citizen_id not in self.attendees:
                raise InvalidInput(f"Người ở dòng thứ {index + 1} không phải học viên của lớp {self.class_id}.", index=index)
            if certificate.citizen_id in self.certified:  # recorded already: a conflict, as for the loser of two issuances at once
                raise errors.CertificateAlreadyIssued(index)
            if certificate.citizen_id in people:
                raise InvalidInput(f"Người ở dòng thứ {index + 1} đã được cấp giấy chứng nhận của lớp này.", index=index)
            if certificate.number in self.numbers or certificate.number in numbers:
                raise InvalidInput(f"Số giấy chứng nhận {certificate.number} đã được dùng.", index=index)
            if certificate.issued_on < self.end_date:
                raise InvalidInput("Giấy chứng nhận chỉ cấp từ ngày kết thúc lớp.", index=index)
            people.add(certificate.citizen_id)
            numbers.add(certificate.number)
        return [CertificatesIssued(class_id=self.class_id, certificates=list(certificates))]
