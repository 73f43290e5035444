"""The one settings object every service and the CLI read from the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

SERVICES: tuple[str, ...] = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")
"""Every service of the system, in start order. The gateway's log holds users, tokens and the
record of every read of a personal history."""

DEPLOYMENT_ID = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def check_deployment_id(value: str) -> str:
    """A deployment id is also a JetStream domain, a subject token and (with `-` as `_`) part of
    SQL identifiers: lower-case letters, digits and hyphens only."""
    if not DEPLOYMENT_ID.match(value):
        raise ValueError(f"deployment id {value!r}: use lower-case letters, digits and '-', starting with a letter")
    return value


SOURCE_CHECKOUT = Path(__file__).resolve().parents[2]
"""The repository this module runs from when it is installed from a checkout (`make run`'s
editable install); an installed wheel has no such folder."""


def default_data_dir(checkout: Path = SOURCE_CHECKOUT) -> Path:
    """Where `ketnap up` keeps its servers' data and every other `ketnap` command finds the running
    stack, whatever folder it is typed in: the repository's `.ketnap/` when running from a checkout,
    else the user's own `~/.local/share/ketnap`. KETNAP_DATA_DIR overrides both."""
    if (checkout / "pyproject.toml").is_file() and (checkout / "operations").is_dir():
        return checkout / ".ketnap"
    return Path.home() / ".local" / "share" / "ketnap"


PLACEHOLDER_PREFIX = "CHANGE-ME"
"""How every secret of deploy/env.example begins: a value nobody may run with."""
MIN_SECRET_LENGTH = 16
"""Shorter passwords are refused; deploy/env.example asks for `openssl rand -hex 24` (48)."""


def check_url_secret(url: str | None, variable: str) -> str | None:
    """Refuse a connection URL whose password is a placeholder of deploy/env.example or shorter
    than MIN_SECRET_LENGTH: a deployment started with one would run, open to anyone who read the
    repository. A URL without a password (the embedded servers, local only) passes."""
    if url is None:
        return None
    password = urlsplit(url).password
    if password is None:
        return url
    password = unquote(password)
    if password.upper().startswith(PLACEHOLDER_PREFIX):
        raise ValueError(f"{variable}: mật khẩu vẫn là giá trị mẫu {PLACEHOLDER_PREFIX}-… của deploy/env.example; "
                         "đặt mật khẩu thật (ví dụ `openssl rand -hex 24`)")
    if len(password) < MIN_SECRET_LENGTH:
        raise ValueError(f"{variable}: mật khẩu ngắn hơn {MIN_SECRET_LENGTH} ký tự; đặt mật khẩu dài hơn (ví dụ `openssl rand -hex 24`)")
    return url


LOG_OWNERS: tuple[str, ...] = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")


class Settings(BaseModel):
    """Where the servers are and how this process behaves.

    Read once with `Settings.from_env()`; nothing else in the code reads os.environ. A value it
    refuses (a placeholder or short secret, a bad deployment id) stops the process with exit 1.
    """

    # A refused value is never echoed back: it may be a real, if short, password.
    model_config = ConfigDict(hide_input_in_errors=True)

    nats_url: str | None = None
    database_url: str | None = None
    deployment_id: str = "local"
    data_dir: Path = Field(default_factory=default_data_dir)
    nats_port: int = 14222
    nats_monitor_port: int = 18222
    postgres_port: int = 15432
    gateway_port: int = 8000
    gateway_host: str = "127.0.0.1"
    """Where the gateway's HTTP API listens: this machine only, unless a container sets 0.0.0.0."""
    metrics_port: int | None = None
    """Where this service serves its Prometheus metrics (ketnap.platform.metrics); None or 0: not
    served. `ketnap up` reads it as the first of its services' ports and gives each its own."""
    metrics_host: str = "127.0.0.1"
    """The metrics' address: this machine only, unless a container sets 0.0.0.0 for its scraper."""
    schema_owner: str | None = None
    """The role migrations assume (`SET ROLE`) after logging in as the migrator: deploy/ makes
    the schemas' owner a role nobody logs in as. None: the login role owns what it creates."""
    keys_dir: Path | None = None
    """Where the anchors' keys live: `<keys_dir>/<deployment>/<service>.key` (private, one per
    service) and `.pub` beside it; `audit verify` reads only the public ones. Default: data_dir/keys."""
    anchor_key_file: Path | None = None
    """This process's own signing key, when it is kept apart from the others (one file per service
    container); its public key is written beside it as `<file>.pub`."""
    anchor_interval_seconds: float = 30.0
    """How often a service signs its log head (and once more when it stops)."""
    heartbeat_file: Path | None = None
    """Touched every few seconds while the service reaches NATS and PostgreSQL; a container's
    health check (`ketnap health`) reads it. None: no file (outside containers)."""
    log_format: str = "console"  # "json" in deployment
    log_level: str = "info"
    # The relay retries a failed publish for at most this long; JetStream's duplicate window
    # must be longer so a retried publish is still recognised as a duplicate.
    relay_max_retry_seconds: int = 60
    duplicate_window_seconds: int = 600
    # Many levels (docs/federation.md): the deployment above this one, if any, and those below it.
    upper_deployment: str | None = None
    lower_deployments: tuple[str, ...] = ()
    further_below: tuple[tuple[str, str], ...] = ()
    """Every deployment further down (below those below), each with the lower deployment its logs
    come through: (`xa-a1`, `huyen-a`). The lower one keeps them and passes them up verified, so
    this one keeps them too (KETNAP_FURTHER_BELOW="xa-a1@huyen-a,xa-a2@huyen-a")."""
    leaf_port: int | None = None
    """Where lower deployments join this one's NATS as leaf nodes (an upper deployment only)."""
    upper_leaf_url: str | None = None
    """The upper deployment's leaf-node address, e.g. nats-leaf://province:7422 (a lower deployment only)."""
    traces_exporter: str | None = None
    """OTEL_TRACES_EXPORTER: where this process exports its traces (`otlp`, `console`, several with
    commas; ketnap.platform.tracing). Unset: no traces, unlike the SDK's own default of `otlp`."""
    otel_sdk_disabled: bool = False
    """OTEL_SDK_DISABLED=true: no traces whatever OTEL_TRACES_EXPORTER says."""
    chain_check_interval_seconds: float = 3600.0
    """How often every service re-checks the whole chain of each log in its database
    (`ketnap.platform.chaincheck`); new events are checked within seconds of being recorded."""
    link_cut_after_seconds: float = 30.0
    """A link whose last contact is older than this is shown cut by `ketnap status` (which then exits
    non-zero). A live link is heard from about every second even when idle (the source's heartbeat)."""

    @classmethod
    def from_env(cls) -> Settings:
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
            "KETNAP_METRICS_PORT": "metrics_port",
            "KETNAP_METRICS_HOST": "metrics_host",
            "KETNAP_LOG_FORMAT": "log_format",
            "KETNAP_HEARTBEAT_FILE": "heartbeat_file",
            "KETNAP_KEYS_DIR": "keys_dir",
            "KETNAP_SCHEMA_OWNER": "schema_owner",
            "KETNAP_ANCHOR_KEY": "anchor_key_file",
            "KETNAP_ANCHOR_INTERVAL": "anchor_interval_seconds",
            "KETNAP_LOG_LEVEL": "log_level",
            "KETNAP_UPPER": "upper_deployment",
            "KETNAP_LEAF_PORT": "leaf_port",
            "KETNAP_UPPER_LEAF_URL": "upper_leaf_url",
            "KETNAP_LINK_CUT_AFTER": "link_cut_after_seconds",
            "OTEL_TRACES_EXPORTER": "traces_exporter",
            "OTEL_SDK_DISABLED": "otel_sdk_disabled",
            "KETNAP_CHAIN_CHECK_INTERVAL": "chain_check_interval_seconds",
        }
        for var, field in mapping.items():
            if env.get(var):
                values[field] = env[var]
        if env.get("KETNAP_LOWERS"):
            values["lower_deployments"] = tuple(d.strip() for d in env["KETNAP_LOWERS"].split(",") if d.strip())
        if env.get("KETNAP_FURTHER_BELOW"):
            values["further_below"] = tuple(
                tuple(part.strip() for part in d.split("@", 1)) for d in env["KETNAP_FURTHER_BELOW"].split(",") if d.strip()
            )
        try:
            return cls.model_validate(values)
        except ValidationError as refusal:
            # Every entry point (each service, the CLI) refuses the same way: a sentence, not a traceback.
            reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in refusal.errors())
            raise SystemExit(f"Ketnap không khởi động: {reasons}") from None

    @field_validator("deployment_id", "upper_deployment")
    @classmethod
    def _deployment_id(cls, value: str | None) -> str | None:
        return value if value is None else check_deployment_id(value)

    @field_validator("nats_url", "database_url", "upper_leaf_url")
    @classmethod
    def _secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_url_secret(value, {"nats_url": "NATS_URL", "database_url": "DATABASE_URL"}.get(info.field_name, "KETNAP_UPPER_LEAF_URL"))

    @field_validator("lower_deployments")
    @classmethod
    def _deployment_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_deployment_id(v) for v in value)

    @field_validator("further_below")
    @classmethod
    def _further_below(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for entry in value:
            if len(entry) != 2:
                raise ValueError(f"KETNAP_FURTHER_BELOW: {'@'.join(entry)!r} phải có dạng <đơn vị>@<cấp dưới trực tiếp>")
        return tuple((check_deployment_id(origin), check_deployment_id(via)) for origin, via in value)

    @model_validator(mode="after")
    def _further_below_through_lowers(self) -> Settings:
        strays = sorted({via for _, via in self.further_below} - set(self.lower_deployments))
        if strays:
            raise ValueError(f"KETNAP_FURTHER_BELOW: {', '.join(strays)} không có trong KETNAP_LOWERS (cấp dưới trực tiếp)")
        return self

    @property
    def traces_exporters(self) -> tuple[str, ...]:
        """The trace exporters this process uses; empty: tracing is off."""
        if self.otel_sdk_disabled or not self.traces_exporter:
            return ()
        return tuple(e for e in (n.strip().lower() for n in self.traces_exporter.split(",")) if e and e != "none")

    @property
    def federated(self) -> bool:
        """Joined to other deployments: the federation service keeps their logs here."""
        return bool(self.upper_deployment or self.lower_deployments)

    @property
    def services(self) -> tuple[str, ...]:
        """The services this deployment runs."""
        return SERVICES + (("federation",) if self.federated else ())

    def public_key_file(self, deployment: str, service: str) -> Path:
        """The public key `audit verify` checks `service`'s anchors of `deployment` with."""
        return (self.keys_dir or self.data_dir / "keys") / deployment / f"{service}.pub"

    def signing_key_file(self, service: str) -> Path:
        if self.anchor_key_file:
            return self.anchor_key_file
        return (self.keys_dir or self.data_dir / "keys") / self.deployment_id / f"{service}.key"

    @property
    def uses_external_servers(self) -> bool:
        return bool(self.nats_url and self.database_url)
