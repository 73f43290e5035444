"""What the driver reports: how far it got, and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass


class ScenarioError(Exception):
    """The system did not do what the plan expects; the message names the dossier and the step."""


@dataclass(frozen=True)
class Progress:
    phase: str
    """`registry` (the organisation) or `dossiers`."""
    done: int
    total: int

    @property
    def text(self) -> str:
        what = "hồ sơ" if self.phase == "dossiers" else "việc ghi sổ đăng ký"
        return f"{self.done}/{self.total} {what}"
