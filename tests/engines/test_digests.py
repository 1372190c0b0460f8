"""The md5 and sha256 kinds: canonical lowercase hex, strict validation, hashing matches hashlib."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctexchange.domain.kinds import KindRegistry
from ctexchange.engines import default_kinds
from ctexchange.engines.content.digests import DigestKind
from ctexchange.errors import InvalidInput


@given(st.binary(max_size=4096))
def test_digest_round_trips_through_validation(data: bytes) -> None:
    """The digest of any bytes validates to itself, and uppercase input canonicalises to it."""
    for kind, reference in ((DigestKind("md5", 32), hashlib.md5), (DigestKind("sha256", 64), hashlib.sha256)):
        digest = kind.digest(data)
        assert digest == reference(data).hexdigest()
        assert kind.validate(digest.upper(), "value").value == digest
        assert kind.validate(f" {digest} ", "value").key == digest


@pytest.mark.parametrize("raw", ["", "g" * 32, "a" * 31, "a" * 33, None, 12, ["a" * 32]])
def test_invalid_digests_are_refused(raw: object) -> None:
    """Wrong length, non-hex characters and non-strings are refused naming the field and the expectation."""
    with pytest.raises(InvalidInput) as info:
        DigestKind("md5", 32).validate(raw, "value")
    assert info.value.field == "value"
    assert "md5 digest of 32 hex digits" in info.value.message


def test_registry() -> None:
    """The default registry knows content and entity kinds; refuses unknown kinds and double registration."""
    registry = default_kinds()
    assert {k.name for k in registry} == {
        "md5",
        "sha256",
        "pdq",
        "video",
        "text",
        "url",
        "person",
        "organization",
    }
    with pytest.raises(InvalidInput, match="md5, organization, pdq, person, sha256, text, url, video"):
        registry.get("sha1")
    with pytest.raises(ValueError, match="twice"):
        registry.register(DigestKind("md5", 32))
    assert "md5" in registry
    assert "sha1" not in KindRegistry()
