"""Signed log heads and which deployment's heads vouch for a log (no servers)."""

from __future__ import annotations

import dataclasses
import stat
from datetime import UTC, datetime
from pathlib import Path

from ketnap.operations.audit import origin_of
from ketnap.platform.anchors import Anchor, load_or_create_key, load_public_key, public_key_path


def test_an_anchor_verifies_with_its_services_key_only(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "local" / "registry.key")
    anchor = Anchor("local", "registry", 42, "ab" * 32, datetime(2026, 12, 6, 9, 30, tzinfo=UTC)).signed_with(key)
    public = load_public_key(public_key_path(tmp_path / "local" / "registry.key"))
    assert public is not None and anchor.verified_by(public)
    assert Anchor.from_json(anchor.to_json()) == anchor
    for changed in ({"position": 41}, {"hash": "cd" * 32}, {"service": "voting"}, {"deployment": "xa-a"}):
        assert not dataclasses.replace(anchor, **changed).verified_by(public), changed
    other = load_public_key(public_key_path(_other_key(tmp_path)))
    assert other is not None and not anchor.verified_by(other)


def test_a_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "gateway.key"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path).public_key() == first.public_key()


def test_a_kept_log_is_vouched_for_by_its_origins_heads() -> None:
    assert origin_of("registry", "tinh-ls") == ("tinh-ls", "registry")
    assert origin_of("registry_at_xa_a", "tinh-ls") == ("xa-a", "registry")
    assert origin_of("voting_at_tinh_ls", "xa-a") == ("tinh-ls", "voting")


def _other_key(root: Path) -> Path:
    path = root / "other" / "registry.key"
    load_or_create_key(path)
    return path
