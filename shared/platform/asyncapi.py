"""AsyncAPI documents of every service's NATS subjects, generated from the code (`make docs`).

Commands and queries come from the broker FastStream builds for the service. Event channels are
added beside them from what the service declares: the events its log records (`Service.events`,
published by its relay) and the events its consumers apply from other services' logs
(`ConsumerSpec.events`), each message with the payload schema of the publisher's pydantic model.
A service's own projections of its own log are no contract between services and are left out.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
from faststream.specification import AsyncAPI

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.service import Service, build_broker

DEPLOYMENT = "{deployment}"
"""The channel parameter of every event subject: one set of streams per deployment."""


class EventOrigin(pydantic.BaseModel):
    service: str
    deployment: str


EventMessage = pydantic.create_model(
    "EventMessage",
    __doc__="""The body of every event message (`ketnap.platform.envelope.to_wire`): the recorded event,
    one link of its log's hash chain, with `data` in the shape of its event type's schema.""",
    # The fields of `RecordedEvent` itself, so the document follows the envelope when it changes.
    **{
        field.name: (hint, ... if field.default is dataclasses.MISSING else field.default)
        for field in dataclasses.fields(RecordedEvent)
        for hint in (typing.get_type_hints(RecordedEvent)[field.name],)
    },
    origin=(EventOrigin, ...),
)


PUBLISHED_TAG = "published"
"""A contract between services: its fields never change in place (docs/contracts.md)."""
OWN_RECORD_TAG = "own-record"
"""The service's own record, relayed like every event but read by no other service."""

HEADERS = {
    "type": "object",
    "properties": {
        subjects.MSG_ID_HEADER: {"type": "string", "format": "uuid", "description": "The event's id: JetStream drops a second publish."},
        subjects.POSITION_HEADER: {"type": "string", "description": "The event's position in its log."},
        "traceparent": {"type": "string", "description": "W3C trace context, when tracing is on."},
    },
}


def service_document(service: Service, publishers: Sequence[Service] = ()) -> str:
    """The service's document; `publishers`: the services whose logs it may read, so a consumed
    event carries its publisher's schema (a log of no service given is shown as one channel)."""
    broker = build_broker(service, {}, "nats://localhost:4222")
    description = (
        f"Commands (`{service.name}.cmd.*`), queries (`{service.name}.query.*`) and events (`ketnap.<deployment>.evt.*`) "
        f"of the {service.name} service."
    )
    document = json.loads(AsyncAPI(broker, title=f"Ketnap {service.name}", version="1", description=description).to_specification().to_json())
    _Events(document, {s.name: s.events for s in (*publishers, service)}).add(service)
    return json.dumps(_sorted(document), indent=2, ensure_ascii=False) + "\n"


def _sorted(document: dict[str, Any]) -> dict[str, Any]:
    """FastStream lists subscribers in an order that changes from run to run: the committed
    document is compared with the generated one, so its maps go in name order (a schema's
    properties keep the model's order)."""
    for key in ("channels", "operations"):
        document[key] = dict(sorted(document.get(key, {}).items()))
    for key in ("messages", "schemas"):
        document["components"][key] = dict(sorted(document["components"].get(key, {}).items()))
    return document


class _Events:
    def __init__(self, document: dict[str, Any], published: Mapping[str, Mapping[str, type[pydantic.BaseModel]]]) -> None:
        self.document = document
        self.published = published
        self.channels = document.setdefault("channels", {})
        self.operations = document.setdefault("operations", {})
        components = document.setdefault("components", {})
        self.messages = components.setdefault("messages", {})
        self.schemas = components.setdefault("schemas", {})

    def add(self, service: Service) -> None:
        self.schemas["EventMessage"] = self._schema("", EventMessage)
        for event_type, model in service.events.items():
            channel = self._channel(service.name, event_type, model)
            self._operation(f"{channel}.send", "send", channel, f"Recorded in the {service.name} log; its relay publishes it.")
        readers: dict[tuple[str, str | None], list[str]] = {}
        for spec in service.consumer_specs:
            if spec.source == service.name:
                continue
            known = self.published.get(spec.source)
            types: Sequence[str | None] = spec.events if spec.events is not None else (sorted(known) if known else [None])
            for event_type in types:
                readers.setdefault((spec.source, event_type), []).append(spec.name)
        for (source, event_type), names in sorted(readers.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            model = self.published.get(source, {}).get(event_type) if event_type else None
            channel = self._channel(source, event_type, model)
            self._operation(f"{channel}.receive", "receive", channel, "Applied by " + ", ".join(f"`{n}`" for n in sorted(set(names))) + ".")

    def _channel(self, source: str, event_type: str | None, model: type[pydantic.BaseModel] | None) -> str:
        name = f"{source}.{event_type or 'any'}"
        if name in self.channels:
            return name
        data: dict[str, Any] = {"type": "object"}
        if model is not None:
            self.schemas[f"{source}.{event_type}"] = self._schema(f"{source}.", model)
            data = {"$ref": f"#/components/schemas/{source}.{event_type}"}
        shape: dict[str, Any] = {"data": data}
        if event_type is not None:
            shape["event_type"] = {"const": event_type}
            shape["schema_version"] = {"const": getattr(model, "schema_version", 1)}
        self.messages[name] = {
            "name": event_type or "any",
            "title": f"{source}: {event_type or 'any event'}",
            "summary": (model.__doc__ or "").strip().split("\n\n")[0] if model is not None else f"Any event of the {source} log.",
            "contentType": "application/json",
            "headers": HEADERS,
            "payload": {"allOf": [{"$ref": "#/components/schemas/EventMessage"}, {"type": "object", "properties": shape}]},
        }
        # A service whose events say whether they are contracts (a `published` class attribute, as
        # voting's do) has its messages tagged: other services may read only the published ones.
        published = getattr(model, "published", None)
        if isinstance(published, bool):
            self.messages[name]["tags"] = [{"name": PUBLISHED_TAG if published else OWN_RECORD_TAG}]
        address = subjects.event_subject(DEPLOYMENT, source, event_type) if event_type else subjects.event_subjects(DEPLOYMENT, source)
        self.channels[name] = {
            "address": address,
            "title": f"{source}: {event_type or 'every event'}",
            "parameters": {"deployment": {"description": "The deployment's id (DEPLOYMENT_ID); each has its own streams."}},
            "messages": {"event": {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"nats": {"subject": address, "bindingVersion": "custom"}},
        }
        return name

    def _operation(self, key: str, action: str, channel: str, description: str) -> None:
        self.operations[key] = {
            "action": action,
            "description": description,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/event"}],
        }

    def _schema(self, prefix: str, model: type[pydantic.BaseModel]) -> dict[str, Any]:
        """The model's JSON schema; the models it nests become components named `prefix`+name,
        so two services' models of the same name stay apart."""
        schema = model.model_json_schema(ref_template=f"#/components/schemas/{prefix}{{model}}")
        for name, nested in schema.pop("$defs", {}).items():
            self.schemas[f"{prefix}{name}"] = nested
        return schema


def write_documents(services: list[Service], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for service in services:
        path = folder / f"{service.name}.json"
        path.write_text(service_document(service, services), encoding="utf-8")
        written.append(path)
    return written
