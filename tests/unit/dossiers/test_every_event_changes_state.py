"""Every fact of a dossier's log says how it changes the dossier.

`Dossier.apply` looks up `_when_<EventType>` by name and passes over an event that has none, so a
new event type without its method would be recorded and then silently ignored by every rebuild.
"""

from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier


NOT_ON_A_DOSSIER_STREAM = {"ApplicantDossierOpened"}
"""Recorded on a person's stream (`applicant-<cccd>`, ONE_DOSSIER), never on a dossier's."""


def test_every_dossier_event_type_has_its_when_method():
    of_a_dossier = set(ev.EVENT_TYPES) - NOT_ON_A_DOSSIER_STREAM
    missing = [name for name in sorted(of_a_dossier) if not callable(getattr(Dossier, f"_when_{name}", None))]
    assert missing == []


def test_the_event_types_are_every_event_class_of_the_module():
    classes = {cls.__name__ for cls in vars(ev).values() if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event}
    assert classes == set(ev.EVENT_TYPES)
