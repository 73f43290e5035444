"""The served OpenAPI schema, fuzzed by schemathesis as an administrator and as a cell secretary:
no answer is a 5xx, none takes longer than 5 s, and the API still answers afterwards.

Bounded by `KETNAP_FUZZ_SECONDS` per user (default 50, about two minutes for the module within
`make test`); `make fuzz` runs it longer. A failure prints schemathesis's report, with the
`curl` line that reproduces each case.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.integration.gateway.world import USERS, World

SECONDS = int(os.environ.get("KETNAP_FUZZ_SECONDS", "50"))
SLOWEST_SECONDS = 5


@pytest.mark.parametrize("login", ["quantri", "bithu.a1"])
async def test_the_api_under_schemathesis_gives_no_5xx_and_no_slow_answer(world: World, login: str, tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    process = await asyncio.create_subprocess_exec(
        str(st), "run", f"{world.listener.url}/openapi.json",
        "--header", f"Authorization: Bearer {world.tokens[login]}",
        "--checks", "not_a_server_error", "--max-response-time", str(SLOWEST_SECONDS),
        "--max-time", str(SECONDS), "--workers", "2", "--seed", "1789", "--request-timeout", "30",
        "--suppress-health-check", "all", "--report", "junit", "--report-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")[-15000:]
    still = await world.query(login, "registry", "organisation", {"code": USERS[login][1], "on": "2025-10-01"})
    assert still.status_code == 200, still.text
