"""Matching engines: pure computation over signal values (hashers, comparisons, indexes).

Engines depend on `ctexchange.domain` only. Each registers its kinds in `default_kinds()`.
"""

from __future__ import annotations

from ctexchange.domain.kinds import KindRegistry
from ctexchange.engines.content.digests import DigestKind
from ctexchange.engines.content.pdq import PDQ_KIND
from ctexchange.engines.content.text import TEXT_KIND
from ctexchange.engines.content.url import URL_KIND
from ctexchange.engines.content.video import VIDEO_KIND
from ctexchange.engines.names.kinds import ENTITY_KINDS


def default_kinds() -> KindRegistry:
    """Return a registry of every kind the engines of this version provide."""
    registry = KindRegistry()
    registry.register(DigestKind("md5", 32))
    registry.register(DigestKind("sha256", 64))
    for content_kind in (PDQ_KIND, VIDEO_KIND, TEXT_KIND, URL_KIND):
        registry.register(content_kind)
    for kind in ENTITY_KINDS:
        registry.register(kind)
    return registry
