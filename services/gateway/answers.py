"""Kept answers: a command retried with the same Idempotency-Key gets its first answer again.

The services already make a retry harmless (event ids derive from the key), but they judge it
against the state of now: dissolve a unit, retry, and the unit is no longer there (404); open a
dossier, transfer it, retry, and it is no longer the cell's (403). So the gateway keeps every
successful answer (status and body, with the command's `result`) in its own log, on stream
`answer-<key as the services see it>`, and answers a retry from there before anything else is
checked. The log is durable and append-only: answers are kept for as long as the log (far beyond
the 7 days the IETF draft asks for) and survive a restart of the gateway.

A refusal is not kept: nothing was written, so a retry is decided afresh (a user who corrects a
form and sends it again with the same key is heard). The same key with another request is refused
(422): a key names one command. An answer that holds a secret shown only
once (`gateway.issue_token`) is not kept either: a retry gets the service's own answer, without it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from ketnap.platform.commands import InvalidInput
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from ketnap.platform.logging import get_logger
from ketnap.services.gateway import events as ev

log = get_logger(__name__)

NOT_KEPT: frozenset[str] = frozenset({"gateway.issue_token"})
"""Routes whose answer holds a secret that must not be stored."""

_NAMESPACE = uuid.UUID("0b9d5c86-39a4-4d8f-9a51-2f1f0d8f7e21")


def request_digest(route: str, body: Mapping[str, Any]) -> str:
    """What identifies a request sent with a key: its route and its body, whatever the order of its keys."""
    text = json.dumps({"route": route, "body": body}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def kept_answer(store: EventStore, owned_key: str, request: str) -> tuple[int, dict[str, Any]] | None:
    """The answer kept for this key (status, body), if any. The key sent again with another request
    (another route, or a body that differs) is refused, as the IETF draft asks (422): answering it
    with the first answer would tell the user that a command they never sent was done."""
    for recorded in await store.read_stream(ev.answer_stream(owned_key)):
        kept = ev.parse(recorded)
        if isinstance(kept, ev.AnswerKept):
            if kept.request is not None and kept.request != request:
                raise InvalidInput(
                    "Khóa Idempotency-Key này đã dùng cho một lệnh khác (nội dung khác); mỗi lệnh mới cần một khóa mới.",
                    header="Idempotency-Key", reason="key_reused",
                )
            return kept.status, kept.body
    return None


async def keep_answer(
    store: EventStore, owned_key: str, route: str, request: str, status: int, body: dict[str, Any], actor: str, organisation: str
) -> None:
    """Keep a successful answer. Its event id derives from the key: two requests racing with the
    same key keep one answer (the services gave both the same). A failure to keep it does not
    take the answer from the user (the command is done); a retry then asks the service again."""
    if status != 200 or route in NOT_KEPT:
        return
    event = ev.AnswerKept(route=route, status=status, body=body, request=request).to_new_event(uuid.uuid5(_NAMESPACE, owned_key))
    try:
        await store.append(ev.answer_stream(owned_key), 0, [event], EventMetadata(actor=actor, organisation=organisation))
    except Exception as error:  # noqa: BLE001 - the command is done; only its keeping failed
        log.warning("answer not kept", route=route, error=type(error).__name__)
