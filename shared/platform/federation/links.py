"""Which logs of which deployments a deployment keeps, and what they are called here.

A lower deployment's logs are kept above in full (the upper level reports over them and decides
on its cases), and so are those it keeps from further below: it passes them up as it keeps them,
verified, with their origin's positions and hashes, so every level keeps every level below it and
checks each chain itself. An upper deployment's tree and decisions are kept below (a commune's dossiers
learn of the province's decisions, its registry of the units above it). A kept log is named
`<service>_at_<deployment>`: the same name is its schema, its relayed stream here and its
log-read subject, so every consumer reads it exactly as it reads a log of its own deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ketnap.platform.settings import Settings

UPWARD: tuple[str, ...] = ("registry", "dossiers", "verification", "voting")
"""The logs of a lower deployment that the deployment above keeps. The gateway's log (users,
tokens, reads of personal histories) stays where it was written."""

DOWNWARD: tuple[str, ...] = ("registry", "voting")
"""The logs of the upper deployment that each lower one keeps: the units above it and the
decisions taken there."""


def kept_log_name(service: str, deployment: str) -> str:
    return f"{service}_at_{deployment.replace('-', '_')}"


@dataclass(frozen=True)
class KeptLog:
    """Deployment `origin`'s log of `service`, kept in this deployment."""

    service: str
    origin: str
    direction: str
    """"up" when `origin` is below this deployment, "down" when it is the one above."""
    via: str | None = None
    """The lower deployment it comes through, when `origin` is further below: that one keeps it
    and passes it up. None: straight from `origin`."""

    @property
    def name(self) -> str:
        return kept_log_name(self.service, self.origin)

    @property
    def through(self) -> str:
        """The linked deployment it is read from: its stream is sourced there, a gap filled there."""
        return self.via or self.origin

    @property
    def name_there(self) -> str:
        """What `through` calls this log: its own `service`, or the log it keeps from further below."""
        return self.service if self.via is None else self.name


@dataclass(frozen=True)
class Links:
    deployment: str
    upper: str | None = None
    lowers: tuple[str, ...] = ()
    further_below: tuple[tuple[str, str], ...] = ()
    """(deployment, the lower one it comes through) for each deployment below the lowers."""

    @classmethod
    def of(cls, settings: Settings) -> "Links":
        return cls(
            settings.deployment_id, settings.upper_deployment, tuple(settings.lower_deployments), tuple(settings.further_below)
        )

    @property
    def below(self) -> tuple[str, ...]:
        """Every deployment below this one, whose logs are kept here."""
        return (*self.lowers, *(origin for origin, _ in self.further_below))

    @property
    def kept(self) -> tuple[KeptLog, ...]:
        below = tuple(KeptLog(s, d, "up") for d in self.lowers for s in UPWARD)
        below += tuple(KeptLog(s, d, "up", via) for d, via in self.further_below for s in UPWARD)
        above = tuple(KeptLog(s, self.upper, "down") for s in DOWNWARD) if self.upper else ()
        return below + above

    def logs_of(self, service: str) -> tuple[str, ...]:
        """Every log of `service` readable here: this deployment's own first, then the kept ones."""
        return (service, *(k.name for k in self.kept if k.service == service))

    def kept_log(self, name: str) -> KeptLog | None:
        return next((k for k in self.kept if k.name == name), None)


def on_the_way(link: Mapping[str, Any]) -> int | None:
    """Events of the origin not kept here yet, as far as known, from a link's state (the federation
    service's `links` query): not yet sourced at the last contact (`source_lag`) plus sourced but
    not yet checked and kept (`waiting`). None: nothing known (the link has never been heard from).
    Over a cut link, everything the origin recorded since the last contact comes on top, uncounted."""
    if link["source_lag"] is None and link["waiting"] is None:
        return None
    return (link["source_lag"] or 0) + (link["waiting"] or 0)
