"""Tokens: high-entropy secrets, recognised by shape, compared by hash."""

from __future__ import annotations

from ketnap.services.gateway.tokens import digest, matches, new_token, token_id_of


def test_a_new_token_names_its_id_and_carries_256_random_bits() -> None:
    token_id, token = new_token()
    prefix, named, secret = token.split(".")
    assert (prefix, named) == ("ketnap", token_id) and len(token_id) == 16 and len(secret) == 43
    assert token_id_of(token) == token_id
    assert len({new_token()[1] for _ in range(100)}) == 100


def test_anything_not_shaped_like_a_token_has_no_id() -> None:
    token_id, token = new_token()
    for presented in ("", "ketnap", token + "x", token.replace("ketnap.", "other."), token[:-1], f"ketnap.{token_id}.a b"):
        assert token_id_of(presented) is None, presented


def test_only_the_exact_token_matches_its_hash() -> None:
    _, token = new_token()
    stored = digest(token)
    assert len(stored) == 64 and token not in stored
    assert matches(token, stored)
    assert not matches(token[:-1] + ("A" if token[-1] != "A" else "B"), stored)
