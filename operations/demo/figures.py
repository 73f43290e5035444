"""The figures of each report, taken out of the reporting service's answer (docs/reporting.md) in
the shape `ketnap.operations.demo.expected.Expected` computes them from the plan: every count, date, code and
the order of lines and items are kept; labels and names are left out, and an axis's values are
compared as a mapping (the service orders them for display)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def quota(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": result["period"], "from": result["from"], "to": result["to"], "status_on": result["status_on"],
        "lines": [(x["code"], x["quota"], x["achieved"], x["percent"], x["in_progress"], x["exists_on_status_day"])
                  for x in (result, *result["children"])],
        "children_quota_total": result["children_quota_total"],
        "admissions": [(a["dossier_id"], a["cell"], a["decided_by"], a["decision_number"], a["decision_date"], a["counted_for"], a["rule_set"])
                       for a in result["admissions"]],
    }


def stats(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "admitted": result["admitted"],
        "axes": {a["axis"]: {v["value"]: (v["count"], v["percent"]) for v in a["values"]} for a in result["axes"]},
        "unknown": result["unknown"],
    }


def pipeline(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "status_on": result["status_on"],
        "lines": [(x["code"], x["by_step"], x["total"], x["suspended"]) for x in (result, *result["children"])],
        "time_per_step": {s["step"]: (s["dossiers"], s["average_days"], s["average_working_days"], s["max_working_days"])
                          for s in result["time_per_step"]},
        "endings": result["endings"],
        "rejections": [(r["rule"], r["count"]) for r in result["rejections"]],
    }


def classes(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "by_kind": [(k["kind"], k["classes"], k["attendees"], k["certificates"]) for k in result["by_kind"]],
        "classes": [c["class_id"] for c in result["classes"]],
    }


def white_zones(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "localities": [(lo["code"], lo["reason"], lo["organisation"], lo["covered_by"]) for lo in result["localities"]],
        "cells_without_admission": [(c["code"], c["last_admission_on"], c["established_on"], c["parent"])
                                    for c in result["cells_without_admission"]],
    }


def deadlines(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "open": result["open"], "overdue": result["overdue"],
        "children": [(c["code"], c["open"], c["overdue"]) for c in result["children"]],
        "by_due_date": [(b["due_on"], b["open"], b["overdue"]) for b in result["by_due_date"]],
        "items": [(i["dossier_id"], i["kind"], i["rule"], i["due_on"], i["overdue"], i["working_days_late"], i["counted_for"])
                  for i in result["items"]],
    }


def audit(result: dict[str, Any]) -> dict[str, Any]:
    def actor(event: dict[str, Any]) -> str | None:
        # `demo.<role>` on the bus, `demo.<role>.<organisation>` as an API user's login.
        return ".".join(event["actor"].split(".")[:2]) if event["actor"].startswith("demo.") else None

    streams: dict[str, list[dict[str, Any]]] = {"dossier": [], "verification": [], "voting": []}
    for event in sorted(result["events"], key=lambda e: (e["log"], e["position"])):
        prefix = event["stream_id"].split("-", 1)[0]
        streams[prefix].append(event)
    return {
        "dossier": [(e["event_type"], actor(e)) for e in streams["dossier"]],
        "verification": dict(Counter((e["event_type"], actor(e)) for e in streams["verification"])),
        "voting": [(e["event_type"], actor(e)) for e in streams["voting"]],
    }
