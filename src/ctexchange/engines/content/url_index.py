"""The URL index: which rules cover a URL, in a few dictionary lookups whatever the number of rules.

Three dictionaries, one per rule level, from the rule's target (`UrlRule.target`) to the labels of the
rules on it. A query walks up from the URL: the exact URL; each path prefix at segment boundaries under
its host and port (`/a/b`, `/a`, `/`); each parent of its host (`a.b.example.com`, `b.example.com`,
`example.com`, `com`). That is O(depth) lookups, never a scan, and it returns exactly what
`url.rule_matches` returns over every rule (tested against brute force with Hypothesis). Hits come exact
first, then prefixes longest first, then domains most specific first; ties by label.

Updates are incremental: `add` and `remove` touch the rule's own target, and adding a label again replaces
its rule. `save` writes JSON (never pickle: whoever can write the file must not be able to plant code)
atomically, through a temporary file renamed over the target. The index keeps only each label's level
and target (not the rule objects), and so does the file, with the version of the canonicalisation: `load`
rebuilds the dictionaries without parsing a URL again, and refuses (ValueError) a corrupt file or one
written under other canonicalisation rules, to be rebuilt.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ctexchange.engines.content.url import CanonicalUrl, UrlLevel, UrlRule, rule_key

FORMAT = "ctexchange.url-index"
CANONICAL_VERSION = 1
"""Bump whenever `url.canonicalize_url` changes its output: indexes saved before are then rebuilt."""

_LEVEL_ORDER = (UrlLevel.EXACT, UrlLevel.PREFIX, UrlLevel.DOMAIN)
_LEVELS = {level.value: level for level in UrlLevel}


@dataclass(frozen=True)
class UrlHit:
    """A rule that covers the queried URL: its label, its level and its key (`UrlRule.key`)."""

    label: int
    level: UrlLevel
    rule: str


class UrlIndex:
    """An incremental, persistent index of URL rules by integer label."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[UrlLevel, str]] = {}
        self._keys: dict[int, str] = {}
        self._targets: dict[UrlLevel, dict[str, set[int]]] = {level: {} for level in _LEVEL_ORDER}

    def add(self, label: int, rule: UrlRule) -> None:
        """Index `rule` under `label`; a label added again has its rule replaced."""
        self._put(label, rule.level, rule.target)

    def remove(self, label: int) -> None:
        """Drop the rule of `label`; an unknown label is ignored."""
        entry = self._entries.pop(label, None)
        if entry is None:
            return
        del self._keys[label]
        level, target = entry
        holders = self._targets[level][target]
        holders.discard(label)
        if not holders:
            del self._targets[level][target]

    def query(self, url: CanonicalUrl) -> list[UrlHit]:
        """Return the rules covering `url`: exact, prefixes longest first, then domains narrowest first."""
        lookups = [(UrlLevel.EXACT, url.url)]
        lookups += [(UrlLevel.PREFIX, url.authority + prefix) for prefix in reversed(path_prefixes(url.path))]
        lookups += [(UrlLevel.DOMAIN, host) for host in parent_hosts(url.host)]
        hits: list[UrlHit] = []
        for level, target in lookups:
            labels = self._targets[level].get(target, ())
            hits += [UrlHit(label, level, self._keys[label]) for label in sorted(labels)]
        return hits

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, label: object) -> bool:
        return label in self._entries

    def save(self, path: Path) -> None:
        """Write the index to `path` as JSON, atomically (a temporary file renamed over it)."""
        rows = [[label, level.value, target] for label, (level, target) in sorted(self._entries.items())]
        document = {"format": FORMAT, "version": CANONICAL_VERSION, "rules": rows}
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> UrlIndex:
        """Read an index written by `save`; raise ValueError if it is corrupt or of another version."""
        try:
            document = json.loads(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not a URL index: not UTF-8") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{path} is not a URL index (format {FORMAT!r})")
        if document.get("version") != CANONICAL_VERSION:
            raise ValueError(f"{path} was written by canonicalisation version {document.get('version')!r}")
        rows = document.get("rules")
        if not isinstance(rows, list):
            raise ValueError(f"{path}: 'rules' must be a list")
        index = cls()
        for row in rows:
            label, level, target = _parse_row(row)
            if label in index._entries:
                raise ValueError(f"{path}: label {label} appears twice")
            index._put(label, level, target)
        return index

    def _put(self, label: int, level: UrlLevel, target: str) -> None:
        self.remove(label)
        self._entries[label] = (level, target)
        self._keys[label] = rule_key(level, target)
        self._targets[level].setdefault(target, set()).add(label)


def path_prefixes(path: str) -> list[str]:
    """Return the prefixes of a canonical path at segment boundaries, shortest first (`/`, `/a`, `/a/b`)."""
    prefixes = ["/"]
    end = path.find("/", 1)
    while end != -1:
        prefixes.append(path[:end])
        end = path.find("/", end + 1)
    if path != "/":
        prefixes.append(path)
    return prefixes


def parent_hosts(host: str) -> list[str]:
    """Return `host` and each host above it, narrowest first (`a.example.com`, `example.com`, `com`)."""
    hosts = [host]
    dot = host.find(".")
    while dot != -1:
        hosts.append(host[dot + 1 :])
        dot = host.find(".", dot + 1)
    return hosts


def _parse_row(row: object) -> tuple[int, UrlLevel, str]:
    """Return the label, level and target of a saved row `[label, level, target]`; ValueError if malformed."""
    if not isinstance(row, list) or len(row) != 3:
        raise ValueError(f"a URL index row must be [label, level, target] (got {row!r:.80})")
    label, level, target = row
    if type(label) is not int or not isinstance(level, str) or level not in _LEVELS:
        raise ValueError(f"a URL index row needs an integer label and a level (got {row!r:.80})")
    if not isinstance(target, str) or not target:
        raise ValueError(f"a URL index row needs a target string (got {row!r:.80})")
    return label, _LEVELS[level], target
