"""Where the tree last changed: per log the read model folds in, the position of its latest event
that changed an organisation (`TREE_EVENTS`), read from the log (ketnap.platform.positions). What
`registry.query.tree_position` answers, so that the gateway may keep its `authority` answers and
know them still current with one small question instead of the question itself (issue 21).
"""

from __future__ import annotations

from ketnap.platform.positions import LatestOf
from ketnap.services.registry import events as ev

TREE_EVENTS: frozenset[str] = frozenset(cls.__name__ for cls in (
    ev.OrganisationEstablished, ev.OrganisationRenamed, ev.OrganisationReclassified, ev.OrganisationMoved,
    ev.AdmissionAuthorityGranted, ev.AdmissionAuthorityRevoked, ev.OrganisationMerged, ev.OrganisationSplit,
    ev.OrganisationDissolved,
))
"""The events that write the tree's tables (organisations, endings, split allocations): every
answer about a unit's chain or ending is a function of these alone (and of the day asked about).
Renames and authority changes are counted too: they rewrite a unit's dated rows."""

TREE_POSITIONS = LatestOf(TREE_EVENTS)
