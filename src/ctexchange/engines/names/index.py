"""The candidate index: which few entities a screening query is worth scoring against.

An in-memory inverted index from name keys to entity ids. A query looks up its own keys only, so it
never scans every entity; the candidates are ranked by the keys they share with the query, a rare key
counting more than a common one (inverse document frequency), and only those are scored
(`score.score_entity`).

Keys (`name_keys`), each prefixed by its kind:
- `n:` the whole name normalised: an exact name always finds its entity;
- `s:` the consonant skeleton of each token, of each pair of neighbouring tokens joined, and of their
  article-free readings, for every rendering of every name (محمد, Mohammed and Muhammad share `s:mhmd`);
- `p:` the phonetic key of each skeleton (`variants.phonetic_key`), which merges the consonants that
  transliteration confuses (Ramadan and Ramazan share `p:rmtn`);
- `a:` the acronyms of an organization's name (ISIL) and a short name read as an acronym;
- `d:` identity document numbers, normalised.
Particles, titles and initials make no key: they would point at half of the list.

Updates are incremental: `add` and `remove` touch only the entity's own keys, and adding an entity
twice replaces it. The state depends only on the set of entities it holds, whatever the order of the
calls. `to_bytes` writes JSON (never pickle: a database user must not be able to plant code), with a
version of the key derivation: an index written by another version is refused, to be rebuilt.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

from ctexchange.domain.entities import EntityRecord, EntitySchema, ScreeningQuery
from ctexchange.engines.names.normalize import normalize_document, normalize_name
from ctexchange.engines.names.organizations import acronyms, as_acronym, strip_legal_forms
from ctexchange.engines.names.tokens import Token, join, tokenize
from ctexchange.engines.names.translit import renderings
from ctexchange.engines.names.variants import PARTICLE_WEIGHT, TITLES, phonetic_key
from ctexchange.errors import InvalidInput

FORMAT = "ctexchange.names.candidate-index"
KEYS_VERSION = 1
KEY_WEIGHTS = {"n": 3.0, "d": 3.0, "a": 2.0, "s": 1.0, "p": 0.5}
MAX_POSTINGS = 20000
"""Postings read per query at most: the most common keys are skipped past it (the rarest never is)."""


@dataclass(frozen=True)
class _Key:
    text: str
    postings: int


def name_keys(name: str, *, is_organization: bool = False) -> set[str]:
    """Return the index keys of one name (see the module's list)."""
    exact = normalize_name(name) or name.casefold().strip()
    keys = {f"n:{exact}"}
    text = strip_legal_forms(name) if is_organization else name
    for rendering in renderings(text):
        tokens = tokenize(rendering, is_organization=is_organization)
        units = list(tokens) + [join(a, b) for a, b in itertools.pairwise(tokens)]
        keys.update(_token_keys(units))
    if is_organization:
        keys.update(f"a:{acronym}" for acronym in acronyms(text))
        short = as_acronym(text)
        if short is not None:
            keys.add(f"a:{short}")
    return keys


def _token_keys(units: Iterable[Token]) -> set[str]:
    keys: set[str] = set()
    for token in units:
        if token.weight <= PARTICLE_WEIGHT or token.text in TITLES or token.is_initial:
            continue
        for skeleton in token.skeletons:
            keys.add(f"s:{skeleton.consonants}")
            keys.add(f"p:{phonetic_key(skeleton.consonants)}")
    return keys


def record_keys(record: EntityRecord) -> frozenset[str]:
    """Return every key of a record: those of all its names and its document numbers."""
    is_organization = record.schema is EntitySchema.ORGANIZATION
    keys: set[str] = set()
    for name in record.names:
        keys.update(name_keys(name.text, is_organization=is_organization))
    keys.update(_document_keys(d.number for d in record.documents))
    return frozenset(keys)


def query_keys(query: ScreeningQuery) -> frozenset[str]:
    """Return the keys a query looks up: those of its names, read both ways for an organization."""
    keys: set[str] = set()
    for name in query.names:
        keys.update(name_keys(name, is_organization=query.schema is EntitySchema.ORGANIZATION))
    keys.update(_document_keys(query.documents))
    return frozenset(keys)


def _document_keys(numbers: Iterable[str]) -> set[str]:
    return {f"d:{n}" for n in (normalize_document(number) for number in numbers) if n}


class CandidateIndex:
    """Entity ids by name key, updated incrementally; see the module's docstring."""

    def __init__(self) -> None:
        self._keys: dict[str, frozenset[str]] = {}
        self._postings: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._keys

    def add(self, entity_id: str, record: EntityRecord) -> None:
        """Index `record` under `entity_id`, replacing what was indexed under that id."""
        self._put(entity_id, record_keys(record))

    def remove(self, entity_id: str) -> None:
        """Forget `entity_id`; forgetting an id that is not indexed does nothing."""
        for key in self._keys.pop(entity_id, frozenset()):
            holders = self._postings[key]
            holders.discard(entity_id)
            if not holders:
                del self._postings[key]

    def candidates(self, query: ScreeningQuery, limit: int = 50) -> list[str]:
        """Return at most `limit` entity ids sharing keys with `query`, best first (ties by id)."""
        found = sorted(
            (_Key(k, len(self._postings[k])) for k in query_keys(query) if k in self._postings),
            key=lambda k: (k.postings, k.text),
        )
        scores: dict[str, float] = {}
        read = 0
        for key in found:
            if read and read + key.postings > MAX_POSTINGS:
                break
            read += key.postings
            weight = KEY_WEIGHTS[key.text[0]] * math.log(1 + len(self._keys) / key.postings)
            for entity_id in self._postings[key.text]:
                scores[entity_id] = scores.get(entity_id, 0.0) + weight
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [entity_id for entity_id, _ in ranked[:limit]]

    def to_bytes(self) -> bytes:
        """Return the index as JSON: the keys of each entity (the postings are rebuilt on load)."""
        entities = {entity_id: sorted(keys) for entity_id, keys in sorted(self._keys.items())}
        document = {"format": FORMAT, "keys_version": KEYS_VERSION, "entities": entities}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> CandidateIndex:
        """Load an index written by `to_bytes`; raise InvalidInput for anything else or another version."""
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput.expected("index", "a candidate index as JSON", type(exc).__name__) from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise InvalidInput.expected("index.format", repr(FORMAT), _get(document, "format"))
        if document.get("keys_version") != KEYS_VERSION:
            raise InvalidInput.expected("index.keys_version", str(KEYS_VERSION), document.get("keys_version"))
        entities = document.get("entities")
        if not isinstance(entities, dict):
            raise InvalidInput.expected("index.entities", "an object", entities)
        index = cls()
        for entity_id, keys in entities.items():
            if not isinstance(keys, list) or not all(_is_key(k) for k in keys):
                raise InvalidInput.expected(f"index.entities.{entity_id}", "a list of index keys", keys)
            index._put(entity_id, frozenset(keys))
        return index

    def _put(self, entity_id: str, keys: frozenset[str]) -> None:
        self.remove(entity_id)
        self._keys[entity_id] = keys
        for key in keys:
            self._postings.setdefault(key, set()).add(entity_id)


def _is_key(key: object) -> bool:
    return isinstance(key, str) and key[:1] in KEY_WEIGHTS and key[1:2] == ":"


def _get(document: object, key: str) -> object:
    return document.get(key) if isinstance(document, dict) else document
