"""What reporting publishes besides its queries' answers: each report's answer as titled tables
with Vietnamese headers (`TABLES`, `Table`), so that every reader of a report — the CLI, the
gateway's web downloads — exports the same columns in the same order; `shown_value`, a table's
value as people read it."""

from __future__ import annotations

from ketnap.services.reporting.export import TABLES, Table, Value, sheet_name, shown_value

__all__ = ["TABLES", "Table", "Value", "sheet_name", "shown_value"]
