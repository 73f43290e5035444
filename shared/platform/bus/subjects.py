"""Every NATS subject and JetStream name in one place, so permissions in deploy/ can follow them."""

from __future__ import annotations

POSITION_HEADER = "Ketnap-Position"
ORIGIN_HEADER = "Ketnap-Origin"
MSG_ID_HEADER = "Nats-Msg-Id"


def event_subject(deployment: str, service: str, event_type: str) -> str:
    return f"ketnap.{deployment}.evt.{service}.{event_type}"


def event_subjects(deployment: str, service: str) -> str:
    return f"ketnap.{deployment}.evt.{service}.>"


def event_stream(deployment: str, service: str) -> str:
    """The JetStream stream that carries one service's log; named by deployment so that an upper
    deployment can source the streams of several lower ones without collisions."""
    return f"EVT_{deployment}_{service}".upper().replace("-", "_")


def dead_letter_subject(deployment: str, consumer: str) -> str:
    return f"ketnap.{deployment}.dlq.{consumer}"


def dead_letter_stream(deployment: str) -> str:
    return f"DLQ_{deployment}".upper().replace("-", "_")


def dead_letter_subjects(deployment: str) -> str:
    return f"ketnap.{deployment}.dlq.>"


def anchor_subject(deployment: str, service: str) -> str:
    """Where a service publishes its signed log heads (`ketnap.platform.anchors`)."""
    return f"ketnap.{deployment}.anchor.{service}"


def anchor_subjects(deployment: str) -> str:
    return f"ketnap.{deployment}.anchor.>"


def anchor_stream(deployment: str) -> str:
    """A deployment's signed heads, one subject per log; the level above sources it."""
    return f"ANCHOR_{deployment}".upper().replace("-", "_")


def linked_log_subject(deployment: str, service: str) -> str:
    """Where a deployment's federation service answers reads of its own logs for the deployments
    linked to it: the only request subject that crosses a leaf-node link."""
    return f"ketnap.fed.{deployment}.log.{service}"


def linked_links_subject(deployment: str) -> str:
    """Where `deployment`'s federation service tells the level above how its own links below stand."""
    return f"ketnap.fed.{deployment}.links"


def linked_alarms_subject(deployment: str) -> str:
    """Where a deployment's federation service tells the level above its integrity alarms (they
    cross the leaf-node link under `ketnap.fed.>`, as the log reads do)."""
    return f"ketnap.fed.{deployment}.alarms"


def command_subject(service: str, command: str) -> str:
    return f"{service}.cmd.{command}"


def query_subject(service: str, query: str) -> str:
    return f"{service}.query.{query}"


def log_read_subject(service: str) -> str:
    """Any consumer re-reads a service's log from the source of record through this subject."""
    return query_subject(service, "log")


def status_subject(service: str) -> str:
    return query_subject(service, "status")


def durable_name(consumer: str, source: str) -> str:
    """The durable consumer of `consumer` on the stream of `source`'s log.

    A durable's name is scoped by its stream, so the consumer's name alone (without dots) is
    unique; being the same on every stream it reads lets deploy/nats/nats.conf grant a service
    its own consumers and nobody else's (`$JS.API.CONSUMER.MSG.NEXT.*.<name>`).
    """
    return consumer.replace(".", "_")


def inbox_prefix(nats_url: str | None) -> str:
    """Where a client's replies arrive: `_INBOX.<its NATS user>`, so deploy/nats/nats.conf can
    let each user read its own replies only. Without a user in the URL (the embedded stack),
    nats-py's default."""
    from urllib.parse import urlsplit

    user = urlsplit(nats_url or "").username
    return f"_INBOX.{user}" if user else "_INBOX"
