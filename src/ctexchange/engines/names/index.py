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

Speed: each entity has a slot (a small integer); a key's postings are kept as a set of slots and, once
read, as a numpy array, so a query adds each key's weight to all its entities in one vectorised step
instead of one dictionary update per posting. The ranking is the same as the plain loop's: the same
sums in the same order, best first, ties by entity id. `add` also keeps the entity prepared for scoring
(`score.prepare_entity`: names rendered, tokenized and joined once, at index time); an index read from
bytes holds keys only, and its entities must be added again to be scored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ctexchange.domain.entities import EntityRecord, EntitySchema, ScreeningQuery
from ctexchange.engines.names.compare import PreparedName, prepare_name
from ctexchange.engines.names.normalize import normalize_document
from ctexchange.engines.names.score import PreparedEntity, PreparedQuery, prepare_entity, prepare_query
from ctexchange.engines.names.tokens import Token
from ctexchange.engines.names.variants import PARTICLE_WEIGHT, TITLES, phonetic_key
from ctexchange.errors import InvalidInput

FORMAT = "ctexchange.names.candidate-index"
KEYS_VERSION = 2
KEY_WEIGHTS = {"n": 3.0, "d": 3.0, "a": 2.0, "s": 1.0, "p": 0.5}
MAX_POSTINGS = 20000
"""Postings read per query at most: the most common keys are skipped past it (the rarest never is)."""


Slots = npt.NDArray[np.intp]


def name_keys(name: str, *, is_organization: bool = False) -> set[str]:
    """Return the index keys of one name (see the module's list)."""
    return prepared_name_keys(prepare_name(name, is_organization))


def prepared_name_keys(name: PreparedName) -> set[str]:
    """Return the index keys of a prepared name: those of the whole name, brackets and all."""
    whole = name.parts[0]  # the name itself, legal forms removed for an organization
    keys = {f"n:{name.exact or name.text.casefold().strip()}"}
    for form in whole.forms:
        keys.update(_token_keys(unit.token for unit in form.units))
    if name.is_organization:
        keys.update(f"a:{acronym}" for acronym in whole.acronyms)
        if whole.acronym is not None:
            keys.add(f"a:{whole.acronym}")
    return keys


def _token_keys(units: Iterable[Token]) -> set[str]:
    keys: set[str] = set()
    for token in units:
        keys.update(token_keys(token))
    return keys


@lru_cache(maxsize=131072)
def token_keys(token: Token) -> tuple[str, ...]:
    """Return the keys of one token: none for particles, titles and initials (see the module's list)."""
    if token.weight <= PARTICLE_WEIGHT or token.text in TITLES or token.is_initial:
        return ()
    keys = [key for s in token.skeletons for key in (f"s:{s.consonants}", f"p:{phonetic_key(s.consonants)}")]
    return tuple(dict.fromkeys(keys))


def record_keys(record: EntityRecord | PreparedEntity) -> frozenset[str]:
    """Return every key of a record: those of all its names and its document numbers."""
    entity = record if isinstance(record, PreparedEntity) else prepare_entity(record)
    keys: set[str] = set()
    for _, name in entity.names:
        keys.update(prepared_name_keys(name))
    keys.update(_document_keys(d.number for _, d in entity.documents))
    return frozenset(keys)


def query_keys(query: ScreeningQuery | PreparedQuery) -> frozenset[str]:
    """Return the keys a query looks up: those of its names, as a person's or an organization's."""
    prepared = prepare_query(query)
    is_organization = prepared.query.schema is EntitySchema.ORGANIZATION
    keys: set[str] = set()
    for name in prepared.organization_names if is_organization else prepared.person_names:
        keys.update(prepared_name_keys(name))
    keys.update(_document_keys(prepared.query.documents))
    return frozenset(keys)


def _document_keys(numbers: Iterable[str]) -> set[str]:
    return {f"d:{n}" for n in (normalize_document(number) for number in numbers) if n}


class CandidateIndex:
    """Entity ids by name key, updated incrementally; see the module's docstring."""

    def __init__(self) -> None:
        self._keys: dict[str, frozenset[str]] = {}
        self._entities: dict[str, PreparedEntity] = {}
        self._slots: dict[str, int] = {}
        self._ids: list[str] = []  # by slot; "" for a free slot
        self._free: list[int] = []
        self._postings: dict[str, set[int]] = {}
        self._arrays: dict[str, Slots] = {}  # postings read since their last change
        self._ranks: Slots | None = None  # each slot's rank in the order of the ids

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._keys

    def add(self, entity_id: str, record: EntityRecord | PreparedEntity) -> None:
        """Index `record` under `entity_id`, replacing what was indexed under that id."""
        entity = record if isinstance(record, PreparedEntity) else prepare_entity(record)
        self._put(entity_id, record_keys(entity))
        self._entities[entity_id] = entity

    def entity(self, entity_id: str) -> PreparedEntity | None:
        """Return the entity added under `entity_id`, prepared for scoring; None if not added."""
        return self._entities.get(entity_id)

    def remove(self, entity_id: str) -> None:
        """Forget `entity_id`; forgetting an id that is not indexed does nothing."""
        self._entities.pop(entity_id, None)
        keys = self._keys.pop(entity_id, None)
        if keys is None:
            return
        slot = self._slots.pop(entity_id)
        for key in keys:
            holders = self._postings[key]
            holders.discard(slot)
            self._arrays.pop(key, None)
            if not holders:
                del self._postings[key]
        self._ids[slot] = ""
        self._free.append(slot)
        self._ranks = None

    def candidates(self, query: ScreeningQuery | PreparedQuery, limit: int = 50) -> list[str]:
        """Return at most `limit` entity ids sharing keys with `query`, best first (ties by id)."""
        table = self._postings
        found = sorted((len(table[k]), k) for k in query_keys(query) if k in table)
        if not found:
            return []
        arrays = []
        weights = []
        read = 0
        for postings, key in found:
            if read and read + postings > MAX_POSTINGS:
                break
            read += postings
            arrays.append(self._array(key))
            weights.append(KEY_WEIGHTS[key[0]] * math.log(1 + len(self._keys) / postings))
        # one weighted count over all postings read, by slot: each entity's sum in the order of the
        # keys; every weight is positive, so the slots with a sum are the entities found
        slots = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        each = np.repeat(weights, [len(a) for a in arrays])
        sums = np.bincount(slots, weights=each, minlength=len(self._ids))
        hits = np.flatnonzero(sums)
        scores = sums[hits]
        if len(hits) > limit:
            kth = np.partition(scores, len(hits) - limit)[len(hits) - limit]
            kept = scores >= kth
            hits, scores = hits[kept], scores[kept]
        order = np.lexsort((self._id_ranks()[hits], -scores))
        return [self._ids[slot] for slot in hits[order[:limit]].tolist()]

    def _array(self, key: str) -> Slots:
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.fromiter(self._postings[key], dtype=np.intp)
        return array

    def _id_ranks(self) -> Slots:
        if self._ranks is None:
            ranks = np.zeros(len(self._ids), dtype=np.intp)
            ranks[sorted(range(len(self._ids)), key=self._ids.__getitem__)] = np.arange(len(self._ids))
            self._ranks = ranks
        return self._ranks

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
        slot = self._free.pop() if self._free else len(self._ids)
        if slot == len(self._ids):
            self._ids.append(entity_id)
        else:
            self._ids[slot] = entity_id
        self._slots[entity_id] = slot
        self._keys[entity_id] = keys
        for key in keys:
            self._postings.setdefault(key, set()).add(slot)
            self._arrays.pop(key, None)
        self._ranks = None


def _is_key(key: object) -> bool:
    return isinstance(key, str) and key[:1] in KEY_WEIGHTS and key[1:2] == ":"


def _get(document: object, key: str) -> object:
    return document.get(key) if isinstance(document, dict) else document
