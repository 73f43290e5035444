"""Values written the way a person reads them in Vietnamese, once for every layer: a day as dd/mm/yyyy."""

from __future__ import annotations

from datetime import date


def vn_date(day: date) -> str:
    """A day as a person reads it (01/07/2025), in every message, page and paper. Not strftime's %Y,
    which writes the year 1 as "1": a typed 01/01/0001 would come back "01/01/1"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
