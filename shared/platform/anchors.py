"""Signed heads of a service's log (anchors): its position and hash, signed with the service's
own Ed25519 key and published to the deployment's anchor stream, outside the database.

A rewrite of a log that keeps its chain consistent is invisible from inside PostgreSQL; an
anchor signed before the rewrite still names the old hash at its position. A service signs a
new head only when it extends the head it signed last (same hash at the old position, every
link in between intact), so a log rewritten under a running service is never signed.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import nats.js.errors
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Anchor:
    deployment: str
    service: str
    position: int
    hash: str
    signed_at: datetime
    signature: str = ""

    def signed_bytes(self) -> bytes:
        # Fixed fields in a fixed order: what the signature covers can never be read two ways.
        return "\n".join(
            ("ketnap-anchor-v1", self.deployment, self.service, str(self.position), self.hash, self.signed_at.isoformat())
        ).encode()

    def signed_with(self, key: Ed25519PrivateKey) -> Anchor:
        return Anchor(self.deployment, self.service, self.position, self.hash, self.signed_at, key.sign(self.signed_bytes()).hex())

    def verified_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_json(self) -> bytes:
        return json.dumps({
            "deployment": self.deployment, "service": self.service, "position": self.position, "hash": self.hash,
            "signed_at": self.signed_at.isoformat(), "signature": self.signature,
        }).encode()

    @classmethod
    def from_json(cls, payload: bytes) -> Anchor:
        body = json.loads(payload)
        return cls(
            str(body["deployment"]), str(body["service"]), int(body["position"]), str(body["hash"]),
            datetime.fromisoformat(body["signed_at"]), str(body["signature"]),
        )


def public_key_path(private_key: Path) -> Path:
    return private_key.with_name(private_key.name.removesuffix(".key") + ".pub")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The service's signing key; made on first start, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_or_create_key(path)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        public_key_path(path).write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        log.info("anchor key created", path=str(path))
        return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey | None:
    if not path.exists():
        return None
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError(f"{path} is not an Ed25519 public key")
    return key


async def ensure_anchor_stream(js: JetStreamContext, deployment: str) -> None:
    name = subjects.anchor_stream(deployment)
    try:
        await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        await js.add_stream(StreamConfig(
            name=name, subjects=[subjects.anchor_subjects(deployment)], retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE, allow_direct=True,
        ))
        log.info("stream created", stream=name)


async def latest_anchor(js: JetStreamContext, deployment: str, service: str) -> Anchor | None:
    """The newest anchor of `service`'s log of `deployment` in this deployment's JetStream: its
    own stream, or the copy an upper deployment sources from a lower one."""
    try:
        message = await js.get_last_msg(subjects.anchor_stream(deployment), subjects.anchor_subject(deployment, service))
    except nats.js.errors.NotFoundError:
        return None
    return Anchor.from_json(message.data or b"")


class HeadNotExtended(Exception):
    """The log no longer extends the head signed last: it was rewritten, and is never signed."""


async def _checked_head(conn: asyncpg.Connection, schema: str, since: Anchor | None) -> tuple[int, str]:
    """The log's head, after checking every link from the head signed last up to it."""
    after, previous_hash = (since.position, since.hash) if since else (0, GENESIS_HASH)
    if since and since.position > 0:
        stored = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", since.position)
        if stored != since.hash:
            raise HeadNotExtended(f"position {since.position} no longer holds the hash signed for it")
    # The audit's walk (imported here: it reads the anchors this module defines).
    from ketnap.platform.logcheck import walk_part

    walk = await walk_part(conn, schema, after, previous_hash, limit=2**62)
    if walk.broken is not None:
        raise HeadNotExtended(f"position {walk.broken.position} does not extend the chain signed up to {after}")
    return walk.intact_to, walk.hash


class Anchorer:
    """Signs a service's log head at an interval and when the service stops."""

    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, schema: str, deployment: str, key: Ed25519PrivateKey) -> None:
        self.pool = pool
        self.js = js
        self.schema = checked_identifier(schema)
        self.deployment = deployment
        self.key = key
        self.last: Anchor | None = None
        self.loaded = False

    async def sign_head(self) -> Anchor | None:
        """Publish a signed anchor of the current head if it moved; returns it (None: nothing new)."""
        if not self.loaded:
            self.last = await latest_anchor(self.js, self.deployment, self.schema)
            self.loaded = True
        async with self.pool.acquire() as conn:
            position, head_hash = await _checked_head(conn, self.schema, self.last)
        if self.last and self.last.position == position:
            return None
        anchor = Anchor(self.deployment, self.schema, position, head_hash, datetime.now(UTC)).signed_with(self.key)
        await self.js.publish(
            subjects.anchor_subject(self.deployment, self.schema), anchor.to_json(), stream=subjects.anchor_stream(self.deployment)
        )
        self.last = anchor
        return anchor

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await self.sign_head()
            except HeadNotExtended as refusal:
                log.error("log head not signed: the log was rewritten", log=self.schema, problem=str(refusal))
            except Exception as error:  # noqa: BLE001 - NATS or PostgreSQL away: the next turn tries again
                log.warning("log head not signed; retrying", log=self.schema, error=type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
