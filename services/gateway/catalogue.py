"""The routes of the API: one per command and query of ketnap.services.gateway.access's table, each with the
service's own pydantic model, so the documentation is the contract the services enforce."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ketnap.platform.service import Service
from ketnap.services.gateway.access import COMMANDS, LINKED_ONLY, QUERIES, ROLE_TITLES, Access, Role

FILLED_BY_GATEWAY = ("idempotency_key", "actor", "scope")
"""Command fields the gateway fills from the request (Idempotency-Key header, the user's login and
organisation); a body that sets them is refused."""

QUERY_FILLED_BY_GATEWAY = ("names",)
"""Query fields the gateway fills from the user's role: whether a report names the applicants in
its rows (`access.PERSONAL_READERS`); a body that sets them is refused."""


@dataclass(frozen=True)
class Endpoint:
    service: str
    """The service's name in the table and the path; its subjects may be named otherwise (tests)."""
    kind: Literal["command", "query"]
    name: str
    model: type[BaseModel]
    access: Access
    doc: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.name)

    @property
    def what(self) -> str:
        return f"{self.service}.{self.name}"

    @property
    def path(self) -> str:
        return f"/api/v1/{self.service}/{'commands' if self.kind == 'command' else 'queries'}/{self.name}"

    @property
    def schema_name(self) -> str:
        return f"{self.service}.{self.kind}.{self.name}"

    def body_schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The request body's JSON schema (the model less the fields the gateway fills) and the
        schemas it refers to, named `<service>.<Model>` so equal class names of two services differ."""
        schema = self.model.model_json_schema(ref_template=f"#/components/schemas/{self.service}.{{model}}")
        defs = {f"{self.service}.{name}": value for name, value in schema.pop("$defs", {}).items()}
        if self.kind == "command":
            for name in FILLED_BY_GATEWAY:
                schema.get("properties", {}).pop(name, None)
            schema["required"] = [r for r in schema.get("required", []) if r not in FILLED_BY_GATEWAY]
        else:
            for name in QUERY_FILLED_BY_GATEWAY:
                schema.get("properties", {}).pop(name, None)
        return schema, defs

    def description(self) -> str:
        roles = ", ".join(f"{ROLE_TITLES[r]} (`{r.value}`)" for r in Role if r in self.access.roles)
        lines = [self.doc, f"**Vai trò được phép:** {roles}."]
        if self.access.scope_fields:
            fields = ", ".join(f"`{f}`" for f in self.access.scope_fields)
            lines.append(f"**Phạm vi:** {fields} phải là tổ chức của người dùng hoặc cấp dưới.")
            optional = [f for f in self.access.scope_fields if not self.model.model_fields[f].is_required()]
            if self.kind == "query" and optional:
                lines.append(f"Để trống {', '.join(f'`{f}`' for f in optional)} thì là tổ chức của người dùng.")
        if "dossier_id" in self.model.model_fields or "dossier_ids" in self.model.model_fields:
            lines.append("**Hồ sơ:** phải thuộc một chi bộ trong phạm vi của người dùng.")
        if self.access.personal:
            lines.append("**Dữ liệu cá nhân:** mỗi lần đọc được ghi vào nhật ký (`PersonalHistoryRead`).")
        if self.kind == "command":
            lines.append("Cần tiêu đề `Idempotency-Key` (8–128 ký tự): gửi lại cùng khóa thì chỉ có một tác dụng.")
        return "\n\n".join(line for line in lines if line)


def catalogue(services: Iterable[Service]) -> list[Endpoint]:
    """Every route, in the table's order; a table entry without its endpoint is a start-up error
    (but for the services of linked deployments only, `LINKED_ONLY`)."""
    found: dict[tuple[str, str, str], tuple[type[BaseModel], str]] = {}
    for service in services:
        for kind, endpoints in (("command", service.commands), ("query", service.queries)):
            for endpoint in endpoints:
                doc = inspect.cleandoc(endpoint.model.__doc__ or endpoint.description or "")
                found[(service.name, kind, endpoint.subject.rsplit(".", 1)[-1])] = (endpoint.model, doc)
    routes = []
    for kind, table in (("command", COMMANDS), ("query", QUERIES)):
        for (service_name, name), access in table.items():
            if (service_name, kind, name) not in found:
                if service_name in LINKED_ONLY:  # a deployment linked to none runs no federation service
                    continue
                raise LookupError(f"ketnap.services.gateway.access names {service_name}.{name}, which no service has")
            model, doc = found[(service_name, kind, name)]
            routes.append(Endpoint(service_name, kind, name, model, access, doc))  # type: ignore[arg-type]
    return routes
