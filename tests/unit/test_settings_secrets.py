"""A deployment cannot start with a placeholder secret of deploy/env.example or a short one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from ketnap.platform.settings import MIN_SECRET_LENGTH, Settings

ENV_EXAMPLE = Path(__file__).parents[2] / "deploy" / "env.example"


def placeholders() -> list[str]:
    values = [line.split("=", 1)[1] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line and not line.startswith("#")]
    return [value for value in values if value.startswith("CHANGE-ME")]


def test_env_example_has_placeholders_to_refuse() -> None:
    assert len(placeholders()) >= 17


@pytest.mark.parametrize("password", placeholders())
def test_every_placeholder_of_env_example_is_refused_in_either_url(password: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="NATS_URL: mật khẩu vẫn là giá trị mẫu CHANGE-ME"):
        Settings(nats_url=f"nats://registry:{password}@nats:4222")
    with pytest.raises(pydantic.ValidationError, match="DATABASE_URL: mật khẩu vẫn là giá trị mẫu"):
        Settings(database_url=f"postgresql://ketnap_registry:{password}@postgres:5432/ketnap")


def test_a_short_password_is_refused_and_never_echoed() -> None:
    short = "s3cr" * ((MIN_SECRET_LENGTH - 1) // 4) + "x" * ((MIN_SECRET_LENGTH - 1) % 4)
    assert len(short) == MIN_SECRET_LENGTH - 1
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings(database_url=f"postgresql://ketnap_voting:{short}@postgres:5432/ketnap")
    assert f"ngắn hơn {MIN_SECRET_LENGTH} ký tự" in str(refused.value)
    assert short not in str(refused.value)


def test_a_long_password_and_a_url_without_one_are_accepted() -> None:
    secret = "0123456789abcdef" * 3
    settings = Settings(nats_url=f"nats://registry:{secret}@nats:4222", database_url=f"postgresql://u:{secret}@pg/ketnap")
    assert settings.uses_external_servers
    assert Settings(nats_url="nats://127.0.0.1:14222", database_url="postgresql://postgres@127.0.0.1:15432/ketnap").uses_external_servers


def test_a_service_refuses_to_start_with_a_placeholder_secret() -> None:
    env = dict(os.environ, NATS_URL="nats://registry:CHANGE-ME-nats-registry@127.0.0.1:1",
               DATABASE_URL="postgresql://ketnap_registry:" + "a" * 40 + "@127.0.0.1:1/ketnap")
    result = subprocess.run([sys.executable, "-m", "ketnap.services.registry"], check=False, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Ketnap không khởi động: NATS_URL: mật khẩu vẫn là giá trị mẫu CHANGE-ME" in result.stderr
    assert "Traceback" not in result.stderr
