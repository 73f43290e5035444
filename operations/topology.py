"""A topology file: several deployments (a province, its communes) run side by side by one
`ketnap up --topology FILE`, each with its own servers, joined by NATS leaf nodes.

The file is TOML (deploy/topology.example.toml). It says which deployment sits above which and
where each listens; everything else comes from the usual settings. Mistakes are reported in
Vietnamese, all at once, before anything starts: a wrong port found after three servers are up
costs the user much more.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ketnap.platform.settings import Settings, check_deployment_id

RESERVED_PORTS = {4222: "NATS", 5432: "PostgreSQL"}
"""The machine's own NATS and PostgreSQL may be running: never take their ports."""

PORT_FIELDS = ("nats_port", "nats_monitor_port", "leaf_port", "postgres_port", "gateway_port")


class TopologyError(ValueError):
    """A topology file that cannot be run; the message says what to fix, in Vietnamese."""



class Deployment(BaseModel):
    """One `[[deployment]]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """The deployment id, also its JetStream domain."""
    root: str | None = None
    """The organisation unit whose subtree it owns (shown by `ketnap up`, not enforced here)."""
    upper: str | None = None
    nats_port: int = Field(ge=1, le=65535)
    nats_monitor_port: int = Field(ge=1, le=65535)
    postgres_port: int = Field(ge=1, le=65535)
    gateway_port: int = Field(ge=1, le=65535)
    leaf_port: int | None = Field(default=None, ge=1, le=65535)
    """Where lower deployments join this one (required when one names it as upper)."""
    leaf_url: str | None = None
    """Where this one joins its upper, when not straight to the upper's leaf_port (a proxy)."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """The first of the ports its services serve their metrics on (one each, in a row); none: no metrics."""


class Topology(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Path(".ketnap-topology")
    """Each deployment keeps its data in <data_dir>/<id>; relative to the file's folder."""
    deployment: tuple[Deployment, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Topology:
        problems = _problems(self.deployment)
        if problems:
            raise TopologyError("\n".join(f"  - {p}" for p in problems))
        return self

    @classmethod
    def load(cls, path: Path | str) -> Topology:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise TopologyError(f"Không đọc được tệp cấu trúc {path}: {error.strerror or error}") from None
        except tomllib.TOMLDecodeError as error:
            raise TopologyError(f"Tệp cấu trúc {path} không đúng cú pháp TOML: {error}") from None
        topology = cls.parse(data, path)
        # Relative to the file, not to wherever `ketnap up` is run from.
        return topology.model_copy(update={"data_dir": (path.parent / topology.data_dir).resolve()})

    @classmethod
    def parse(cls, data: dict, source: Path | str = "<topology>") -> Topology:
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise TopologyError(f"Tệp cấu trúc {source} có lỗi:\n" + "\n".join(_explain(error, data))) from None

    @property
    def deployments(self) -> tuple[Deployment, ...]:
        """Upper before lower (a topological order), file order among equals: servers start in
        this order, so a lower deployment's leaf node finds its upper already listening."""
        placed: list[Deployment] = []
        done: set[str] = set()
        while len(placed) < len(self.deployment):
            # The first one in the file whose upper is placed (validation ruled out loops).
            entry = next(e for e in self.deployment if e.id not in done and (e.upper is None or e.upper in done))
            placed.append(entry)
            done.add(entry.id)
        return tuple(placed)

    def get(self, deployment_id: str) -> Deployment:
        for entry in self.deployment:
            if entry.id == deployment_id:
                return entry
        raise KeyError(deployment_id)

    def lowers_of(self, deployment_id: str) -> tuple[str, ...]:
        return tuple(d.id for d in self.deployments if d.upper == deployment_id)

    def further_below(self, deployment_id: str) -> tuple[tuple[str, str], ...]:
        """Every deployment below those directly below `deployment_id`, with the one directly
        below it comes through: that one keeps its logs and passes them up (docs/federation.md)."""
        found: list[tuple[str, str]] = []
        for lower in self.lowers_of(deployment_id):
            waiting = list(self.lowers_of(lower))
            while waiting:
                below = waiting.pop(0)
                found.append((below, lower))
                waiting.extend(self.lowers_of(below))
        return tuple(found)

    def settings_for(self, deployment_id: str, base: Settings) -> Settings:
        """`base` as deployment `deployment_id` runs it: its id, links, ports and data folder.

        Each deployment runs its own embedded servers, so URLs of external servers in `base` are
        dropped rather than shared by every deployment.
        """
        entry = self.get(deployment_id)
        upper_leaf_url = None
        if entry.upper is not None:
            upper_leaf_url = entry.leaf_url or f"nats-leaf://127.0.0.1:{self.get(entry.upper).leaf_port}"
        return base.model_copy(
            update={
                "nats_url": None,
                "database_url": None,
                "deployment_id": entry.id,
                "upper_deployment": entry.upper,
                "lower_deployments": self.lowers_of(entry.id),
                "further_below": self.further_below(entry.id),
                "leaf_port": entry.leaf_port,
                "upper_leaf_url": upper_leaf_url,
                "nats_port": entry.nats_port,
                "nats_monitor_port": entry.nats_monitor_port,
                "postgres_port": entry.postgres_port,
                "gateway_port": entry.gateway_port,
                "metrics_port": entry.metrics_port or 0,
                "data_dir": self.data_dir / entry.id,
            }
        )


def _problems(entries: tuple[Deployment, ...]) -> list[str]:
    """Every mistake in the deployments as a whole, each said once."""
    problems: list[str] = []
    if not entries:
        return ["không có đơn vị triển khai nào: thêm ít nhất một bảng [[deployment]]"]
    ids: dict[str, Deployment] = {}
    for entry in entries:
        try:
            check_deployment_id(entry.id)
        except ValueError:
            problems.append(
                f"id {entry.id!r} không hợp lệ: chỉ dùng chữ thường không dấu, chữ số và '-', "
                "bắt đầu bằng chữ cái, tối đa 31 ký tự (id cũng là JetStream domain)"
            )
        if entry.id in ids:
            problems.append(f"id {entry.id!r} bị khai báo hai lần")
        ids.setdefault(entry.id, entry)

    for entry in entries:
        if entry.upper is None:
            if entry.leaf_url is not None:
                problems.append(f"{entry.id}: có leaf_url nhưng không có upper (leaf_url là địa chỉ nối lên cấp trên)")
            continue
        upper = ids.get(entry.upper)
        if upper is None:
            problems.append(f"{entry.id}: upper = {entry.upper!r} không phải id của đơn vị nào trong tệp")
        elif upper.leaf_port is None:
            problems.append(
                f"{upper.id}: là cấp trên của {entry.id} nên cần leaf_port (cổng để cấp dưới nối vào)"
            )

    for cycle in _cycles(ids):
        problems.append("vòng lặp cấp trên: " + " → ".join(cycle))

    owners: dict[int, str] = {}
    for entry in entries:
        for name in PORT_FIELDS:
            port = getattr(entry, name)
            if port is None:
                continue
            where = f"{entry.id}.{name}"
            if port in RESERVED_PORTS:
                problems.append(
                    f"{where} = {port}: cổng mặc định của {RESERVED_PORTS[port]} trên máy này; chọn cổng khác"
                )
            elif port in owners:
                problems.append(f"{where} = {port}: cổng này đã dùng cho {owners[port]}; mỗi cổng chỉ dùng một lần")
            else:
                owners[port] = where
    return problems


def _cycles(ids: dict[str, Deployment]) -> list[list[str]]:
    """Each loop of `upper` links once, as the ids along it (first repeated at the end)."""
    found: list[list[str]] = []
    seen: set[str] = set()
    for start in ids:
        path: list[str] = []
        current: str | None = start
        while current is not None and current in ids and current not in seen and current not in path:
            path.append(current)
            current = ids[current].upper
        if current is not None and current in path:
            found.append([*path[path.index(current):], current])
        seen.update(path)
    return found


_REASONS = {
    "missing": "thiếu (bắt buộc)",
    "extra_forbidden": "khóa không được phép (gõ sai tên?)",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "string_type": "phải là chuỗi trong ngoặc kép",
    "greater_than_equal": "cổng phải từ 1 đến 65535",
    "less_than_equal": "cổng phải từ 1 đến 65535",
    "tuple_type": "phải là danh sách bảng [[deployment]]",
    "model_type": "phải là một bảng [[deployment]]",
    "path_type": "phải là đường dẫn (chuỗi)",
}


def _explain(error: ValidationError, data: dict) -> list[str]:
    lines = []
    for item in error.errors():
        if item["type"] == "value_error" and isinstance(item.get("ctx", {}).get("error"), TopologyError):
            lines.append(str(item["ctx"]["error"]))
            continue
        lines.append(f"  - {_where(item['loc'], data)}: {_REASONS.get(item['type'], item['msg'])}")
    return lines


def _where(loc: tuple, data: dict) -> str:
    """`[[deployment]] thứ 2 (xa-a), nats_port` rather than pydantic's `deployment.1.nats_port`."""
    if len(loc) >= 2 and loc[0] == "deployment" and isinstance(loc[1], int):
        entries = data.get("deployment") or []
        entry = entries[loc[1]] if loc[1] < len(entries) and isinstance(entries[loc[1]], dict) else {}
        name = f" ({entry['id']})" if isinstance(entry.get("id"), str) else ""
        rest = ".".join(str(part) for part in loc[2:])
        return f"[[deployment]] thứ {loc[1] + 1}{name}" + (f", khóa {rest}" if rest else "")
    return "khóa " + ".".join(str(part) for part in loc) if loc else "tệp"
