"""The one settings object every service and the CLI read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

SERVICES: tuple[str, ...] = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")
"""Every service of the system, in start order. The gateway's log holds users, tokens and the
record of every read of a personal history."""

LOG_OWNERS: tuple[str, ...] = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")


class Settings(BaseModel):
    """Where the servers are and how this process behaves.

    Read once with `Settings.from_env()`; nothing else in the code reads os.environ.
    """

    nats_url: str | None = None
    database_url: str | None = None
    deployment_id: str = "local"
    data_dir: Path = Field(default_factory=lambda: Path(".ketnap").resolve())
    nats_port: int = 14222
    nats_monitor_port: int = 18222
    postgres_port: int = 15432
    gateway_port: int = 8000
    gateway_host: str = "127.0.0.1"
    """Where the gateway's HTTP API listens: this machine only, unless a container sets 0.0.0.0."""
    log_format: str = "console"  # "json" in deployment
    log_level: str = "info"
    # The relay retries a failed publish for at most this long; JetStream's duplicate window
    # must be longer so a retried publish is still recognised as a duplicate.
    relay_max_retry_seconds: int = 60
    duplicate_window_seconds: int = 600

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        values: dict[str, object] = {}
        mapping = {
            "NATS_URL": "nats_url",
            "DATABASE_URL": "database_url",
            "KETNAP_DEPLOYMENT": "deployment_id",
            "KETNAP_DATA_DIR": "data_dir",
            "KETNAP_NATS_PORT": "nats_port",
            "KETNAP_NATS_MONITOR_PORT": "nats_monitor_port",
            "KETNAP_POSTGRES_PORT": "postgres_port",
            "KETNAP_GATEWAY_PORT": "gateway_port",
            "KETNAP_GATEWAY_HOST": "gateway_host",
            "KETNAP_LOG_FORMAT": "log_format",
            "KETNAP_LOG_LEVEL": "log_level",
        }
        for var, field in mapping.items():
            if env.get(var):
                values[field] = env[var]
        return cls.model_validate(values)

    @property
    def uses_external_servers(self) -> bool:
        return bool(self.nats_url and self.database_url)
