"""AsyncAPI documents of every service's NATS subjects, generated from the code (`make docs`)."""

from __future__ import annotations

from pathlib import Path

from faststream.specification import AsyncAPI

from ketnap.platform.service import Service, build_broker


def service_document(service: Service) -> str:
    broker = build_broker(service, {}, "nats://localhost:4222")
    description = f"Commands (`{service.name}.cmd.*`) and queries (`{service.name}.query.*`) of the {service.name} service."
    return AsyncAPI(broker, title=f"Ketnap {service.name}", version="1", description=description).to_specification().to_json()


def write_documents(services: list[Service], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for service in services:
        path = folder / f"{service.name}.json"
        path.write_text(service_document(service))
        written.append(path)
    return written
