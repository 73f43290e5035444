"""Issue 16's forged event: a well-formed `DossierWithdrawn` at a log's head + 1 with all-zero
hashes, published on the dossiers event subject as anyone allowed to publish there could."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nats.aio.client import Client as NatsClient

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent, to_wire


def forged_withdrawal(opened: RecordedEvent, version: int, position: int) -> RecordedEvent:
    """The withdrawal of the dossier `opened` opened, claiming `position` of the log."""
    return RecordedEvent(
        position=position, stream_id=opened.stream_id, stream_version=version + 1, event_id=uuid.uuid4(),
        event_type="DossierWithdrawn", schema_version=1,
        data={"dossier_id": opened.data["dossier_id"], "cell": opened.data["cell"], "on": today_in_vietnam().isoformat()},
        actor="demo.cell_secretary", organisation=opened.data["cell"], correlation_id=None, causation_id=None,
        recorded_at=datetime.now(UTC), previous_hash=GENESIS_HASH, hash=GENESIS_HASH,
    )


async def publish(nc: NatsClient, deployment: str, source: str, event: RecordedEvent) -> str:
    """On `source`'s event subject, with the relay's headers (a message id of the sender's
    choosing); returns the subject."""
    subject = subjects.event_subject(deployment, source, event.event_type)
    await nc.jetstream().publish(
        subject, to_wire(event, source, deployment), stream=subjects.event_stream(deployment, source),
        headers={subjects.MSG_ID_HEADER: str(uuid.uuid4()), subjects.POSITION_HEADER: str(event.position)},
    )
    return subject
