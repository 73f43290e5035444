"""Every fact of a dossier's log says how it changes the dossier.

`Dossier.apply` looks up `_when_<EventType>` by name and passes over an event that has none, so a
new event type without its method would be recorded and then silently ignored by every rebuild.
"""

from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier


def test_every_dossier_event_type_has_its_when_method():
    missing = [name for name in ev.EVENT_TYPES if not callable(getattr(Dossier, f"_when_{name}", None))]
    assert missing == []


def test_the_event_types_are_every_event_class_of_the_module():
    classes = {cls.__name__ for cls in vars(ev).values() if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event}
    assert classes == set(ev.EVENT_TYPES)
