"""The voting chain of one applicant (hồ sơ biểu quyết): the aggregate behind stream `voting-<dossier_id>`.

It holds every act of a collective body on one dossier, in order: the cell's resolution, the
partial committee's appraisal, the grassroots committee's resolution, the competent committee's
decision (and its one extension, the notification of the cell), then after the ceremony the same
chain for recognition as an official member, or the removal of the name. Each method checks the
rules and records its events; a failed check raises before anything is recorded. Because one
stream holds the whole chain, two conflicting records of one step cannot both be appended: the
second is judged against the first, or loses on the stream's expected version.

The registry's facts a method needs (roster, committee, tree, competent authority, all as of the
act's date) are fetched by the handler and passed in: the aggregate does no I/O.

One class, `AdmissionCase`, written in one module per part of the chain:

- `state`: what the chain holds, its replay, the guard every act passes first, its summary;
- `facts`: what the dossiers service records that the chain follows;
- `acts`: what every committee act shares (guards of the chain's stage, vote, authority);
- `admission`: from the cell's proposal to the admission decision and the ceremony's date;
- `extension`: the one extension of a decision's deadline;
- `recognition`: from the cell's proposal to the recognition as an official member;
- `name_removal`: the name removed during probation.

Each part is a mixin over `CaseState`; `AdmissionCase` combines them, and callers import
everything from here.
"""

from __future__ import annotations

from ketnap.services.voting.admission_case.admission import Admission
from ketnap.services.voting.admission_case.extension import Extension
from ketnap.services.voting.admission_case.facts import DossierFacts
from ketnap.services.voting.admission_case.name_removal import NameRemoval
from ketnap.services.voting.admission_case.recognition import Recognition
from ketnap.services.voting.admission_case.state import STREAM_PREFIX, Decided, Resolution, dossier_id_of, rules_on, stream_id_of


class AdmissionCase(DossierFacts, Admission, Extension, Recognition, NameRemoval):
    """Hồ sơ biểu quyết của một người: every act on one applicant, admission then recognition."""


__all__ = ["STREAM_PREFIX", "AdmissionCase", "Decided", "Resolution", "dossier_id_of", "rules_on", "stream_id_of"]
