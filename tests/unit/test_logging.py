"""Logs are structured and never carry personal data (domain.md §6)."""

from __future__ import annotations

import json

import pytest

from ketnap.platform.logging import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_test_logging():  # noqa: ANN202
    yield
    configure_logging("console", "warning")


def test_deployment_logs_are_one_json_object_per_line_with_the_service(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info", service="dossiers")
    get_logger("x").info("dossier moved", dossier_id="d-1", step="introduction")
    record = json.loads(capsys.readouterr().err.strip())
    assert record["event"] == "dossier moved"
    assert (record["service"], record["dossier_id"], record["step"], record["level"]) == ("dossiers", "d-1", "introduction", "info")


def test_personal_data_never_reaches_the_log_even_when_a_caller_passes_it(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    get_logger().warning(
        "careless call", name="Nguyễn Văn An", citizen_id="001203004567", birth_date="2001-02-03", religion="Phật giáo",
        relatives=[{"name": "x"}], data={"full_name": "y"}, detail={"step": "ok", "applicant": [{"full_name": "Lê Thị Bình"}]},
    )
    line = capsys.readouterr().err
    for secret in ("Nguyễn", "001203004567", "2001-02-03", "Phật giáo", "Lê Thị Bình"):
        assert secret not in line
    record = json.loads(line)
    assert record["citizen_id"] == "[redacted]" and record["detail"]["step"] == "ok"
