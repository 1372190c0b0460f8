"""The URL index: equal to brute force over every rule, in order, through adds, removes and a save/load."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.engines.content.url import (
    CanonicalUrl,
    UrlLevel,
    UrlRule,
    canonicalize_url,
    parse_rule,
    rule_matches,
)
from ctexchange.engines.content.url_index import UrlHit, UrlIndex, parent_hosts, path_prefixes

LEVEL_RANK = {UrlLevel.EXACT: 0, UrlLevel.PREFIX: 1, UrlLevel.DOMAIN: 2}


def brute_force(rules: dict[int, UrlRule], url: CanonicalUrl) -> list[UrlHit]:
    """Every rule that covers `url`, ordered as the index promises: level, then longest target, then label."""
    hits = [(label, rule) for label, rule in rules.items() if rule_matches(rule, url)]
    hits.sort(key=lambda hit: (LEVEL_RANK[hit[1].level], -len(hit[1].target), hit[0]))
    return [UrlHit(label, rule.level, rule.key) for label, rule in hits]


# A small universe of hosts and paths, so that random rules and queries overlap often.
HOSTS = ["example.com", "a.example.com", "b.a.example.com", "badexample.com", "t.me", "x.com", "127.0.0.1"]
SEGMENTS = ["a", "b", "ab", "A"]


@st.composite
def urls(draw: st.DrawFn, *, with_query: bool = True) -> str:
    """A URL string over the small universe, optionally with a port and a query."""
    host = draw(st.sampled_from(HOSTS))
    port = draw(st.sampled_from(["", "", "", ":8080"]))
    path = "/".join(draw(st.lists(st.sampled_from(SEGMENTS), max_size=3)))
    query = draw(st.sampled_from(["", "", "?q=1"])) if with_query else ""
    return f"https://{host}{port}/{path}{query}"


@st.composite
def rules(draw: st.DrawFn) -> UrlRule:
    """A valid rule of any level over the small universe."""
    level = draw(st.sampled_from(list(UrlLevel)))
    if level is UrlLevel.DOMAIN:
        return parse_rule({"url": draw(st.sampled_from(HOSTS)), "level": "domain"})
    return parse_rule({"url": draw(urls(with_query=level is UrlLevel.EXACT)), "level": level.value})


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 9), rules()), st.tuples(st.just("remove"), st.integers(0, 9))
    ),
    max_size=20,
)


def near(operations: list[tuple[object, ...]]) -> list[CanonicalUrl]:
    """URLs at and just under every rule ever added, so that queries hit often."""
    added = [operation[-1] for operation in operations if operation[0] == "add"]
    return [
        canonicalize_url(rule.url.url + end)
        for rule in added
        if isinstance(rule, UrlRule)
        for end in ("", "/b")
    ]


def apply(operations: list[tuple[object, ...]]) -> tuple[UrlIndex, dict[int, UrlRule]]:
    """Run the operations on an index and on a plain dictionary of rules."""
    index, expected = UrlIndex(), {}
    for operation in operations:
        if operation[0] == "add":
            _, label, rule = operation
            assert isinstance(label, int) and isinstance(rule, UrlRule)
            index.add(label, rule)
            expected[label] = rule
        else:
            label = operation[1]
            assert isinstance(label, int)
            index.remove(label)
            expected.pop(label, None)
    return index, expected


@settings(max_examples=80, deadline=None)
@given(OPERATIONS, st.lists(urls(), max_size=4))
def test_query_equals_brute_force(operations: list[tuple[object, ...]], queries: list[str]) -> None:
    """After any sequence of adds and removes, a query returns brute force's hits in the same order."""
    index, expected = apply(operations)
    assert len(index) == len(expected)
    for url in [canonicalize_url(raw) for raw in queries] + near(operations):
        assert index.query(url) == brute_force(expected, url)


@settings(max_examples=30, deadline=None)
@given(OPERATIONS)
def test_save_load_round_trip(operations: list[tuple[object, ...]]) -> None:
    """A loaded index answers every query as the saved one did, and saves to the same bytes."""
    index, _ = apply(operations)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "url.json"
        index.save(path)
        loaded = UrlIndex.load(path)
        assert len(loaded) == len(index)
        for url in near(operations):
            assert loaded.query(url) == index.query(url)
        saved = path.read_bytes()
        loaded.save(path)
        assert path.read_bytes() == saved
        assert [p.name for p in Path(directory).iterdir()] == ["url.json"]


def test_hits_are_ordered_exact_prefix_domain() -> None:
    """Exact hits come first, then prefixes longest first, then domains narrowest first."""
    index = UrlIndex()
    index.add(1, parse_rule({"url": "example.com", "level": "domain"}))
    index.add(2, parse_rule({"url": "example.com/a", "level": "prefix"}))
    index.add(3, parse_rule("https://a.example.com/a/b"))
    index.add(4, parse_rule({"url": "a.example.com/a/b", "level": "prefix"}))
    index.add(5, parse_rule({"url": "a.example.com", "level": "domain"}))
    index.add(6, parse_rule({"url": "a.example.com/", "level": "prefix"}))
    hits = index.query(canonicalize_url("http://www.a.example.com/a/b/?utm_source=x"))
    assert [(h.label, h.level.value, h.rule) for h in hits] == [
        (3, "exact", "exact:https://a.example.com/a/b"),
        (4, "prefix", "prefix:a.example.com/a/b"),
        (6, "prefix", "prefix:a.example.com/"),
        (5, "domain", "domain:a.example.com"),
        (1, "domain", "domain:example.com"),
    ]


def test_prefix_and_domain_boundaries() -> None:
    """A prefix stops at segment boundaries and a domain at label boundaries."""
    index = UrlIndex()
    index.add(1, parse_rule({"url": "t.me/abc", "level": "prefix"}))
    index.add(2, parse_rule({"url": "example.com", "level": "domain"}))
    assert [h.label for h in index.query(canonicalize_url("t.me/abc/123"))] == [1]
    assert index.query(canonicalize_url("t.me/abcd")) == []
    assert [h.label for h in index.query(canonicalize_url("a.example.com/x"))] == [2]
    assert index.query(canonicalize_url("badexample.com")) == []


def test_add_replaces_and_remove_forgets() -> None:
    """Adding a label again replaces its rule; removing drops it; removing an unknown label does nothing."""
    index = UrlIndex()
    index.add(7, parse_rule("t.me/abc"))
    index.add(7, parse_rule("t.me/def"))
    assert len(index) == 1 and 7 in index
    assert index.query(canonicalize_url("t.me/abc")) == []
    assert [h.label for h in index.query(canonicalize_url("t.me/def"))] == [7]
    index.remove(7)
    index.remove(8)
    assert len(index) == 0 and 7 not in index
    assert index.query(canonicalize_url("t.me/def")) == []


def test_several_labels_on_one_target() -> None:
    """Two rules on one target both hit, by label; removing one keeps the other."""
    index = UrlIndex()
    index.add(9, parse_rule("t.me/abc"))
    index.add(3, parse_rule("https://telegram.me/ABC"))
    assert [h.label for h in index.query(canonicalize_url("t.me/abc"))] == [3, 9]
    index.remove(9)
    assert [h.label for h in index.query(canonicalize_url("t.me/abc"))] == [3]


def test_walk_helpers() -> None:
    """The walk visits each path prefix at a segment boundary and each parent host."""
    assert path_prefixes("/") == ["/"]
    assert path_prefixes("/a/bc/d") == ["/", "/a", "/a/bc", "/a/bc/d"]
    assert parent_hosts("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com", "com"]
    assert parent_hosts("[::1]") == ["[::1]"]


GOOD_ROW = [1, "exact", "https://a.com/"]


def _document(rules: object, version: object = 1, form: object = "ctexchange.url-index") -> dict[str, object]:
    return {"format": form, "version": version, "rules": rules}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a URL index"),
        (_document([], form="other"), "not a URL index"),
        (_document([], version=99), "canonicalisation version 99"),
        (_document({}), "must be a list"),
        (_document([[1, "exact"]]), r"\[label, level, target\]"),
        (_document([{"label": 1}]), r"\[label, level, target\]"),
        (_document([["1", "exact", "https://a.com/"]]), "integer label"),
        (_document([[True, "exact", "https://a.com/"]]), "integer label"),
        (_document([[1.0, "exact", "https://a.com/"]]), "integer label"),
        (_document([[1, "glob", "https://a.com/"]]), "integer label"),
        (_document([[1, ["exact"], "https://a.com/"]]), "integer label"),
        (_document([[1, "exact", 5]]), "a target string"),
        (_document([[1, "exact", ""]]), "a target string"),
        (_document([GOOD_ROW, GOOD_ROW]), "appears twice"),
    ],
)
def test_corrupt_files_are_refused(tmp_path: Path, document: object, message: str) -> None:
    """A file that is not an index of this version is refused with ValueError saying what is wrong."""
    path = tmp_path / "url.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        UrlIndex.load(path)
    path.write_text(json.dumps(_document([GOOD_ROW])))
    assert len(UrlIndex.load(path)) == 1


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    """Invalid JSON and invalid UTF-8 raise ValueError; a missing file raises OSError."""
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_bytes(b"\xff\xfe")
    for name in ("a.json", "b.json"):
        with pytest.raises(ValueError):
            UrlIndex.load(tmp_path / name)
    with pytest.raises(OSError):
        UrlIndex.load(tmp_path / "missing.json")


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    """Saving over an older index replaces it whole and leaves no temporary file behind."""
    path = tmp_path / "url.json"
    index = UrlIndex()
    index.add(1, parse_rule({"url": "пример.рф", "level": "domain"}))
    index.save(path)
    index.add(2, parse_rule("https://example.com/a?b=1#!/c"))
    index.save(path)
    loaded = UrlIndex.load(path)
    assert len(loaded) == 2
    assert [h.label for h in loaded.query(canonicalize_url("https://новости.пример.рф/"))] == [1]
    assert [h.label for h in loaded.query(canonicalize_url("https://example.com/a?b=1#!/c"))] == [2]
    assert [p.name for p in tmp_path.iterdir()] == ["url.json"]
