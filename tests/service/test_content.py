"""Content through the service: adding to banks, matching every kind, hidden hits, sightings, indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctexchange.domain.queries import SignalQuery
from ctexchange.errors import Forbidden, InvalidInput
from ctexchange.service.content import ContentItem, ContentQuery, ContentService, MatchOutcome
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.media import edited, flat, jpeg, pattern, png, video

QUOTE = (
    "The brigade calls on every young man in the province to leave his family and join the fighters "
    "in the mountains before the winter comes, because the promised reward awaits those who carry arms "
    "against the unbelievers and their allies in the capital and in every city of the west"
)

NEWS = " ".join(f"report{i} from district{i * 7} says market{i % 5} prices rose again" for i in range(20))


@pytest.fixture
def bank(exchange: Exchange, operator: Caller) -> Exchange:
    """An exchange with a GREEN content bank `propaganda` owned by the operator."""
    exchange.collections.create(operator, "propaganda", "GREEN")
    return exchange


def outsider(exchange: Exchange, operator: Caller, role: str = "service") -> Caller:
    """A caller of another organization (an online service) with `role`."""
    exchange.members.create_org(operator, "platform", "online-service")
    exchange.members.create_user(operator, "platform", "pipeline", role)
    return exchange.auth.authenticate(exchange.members.create_key(operator, "pipeline", "k").text, "t")


def add(exchange: Exchange, caller: Caller, **values: object) -> list[str]:
    """Add one value item to `propaganda`; return the kinds added."""
    [outcome] = exchange.content.add(caller, "propaganda", [ContentItem(None, dict(values), ["propaganda"])])
    return [s.kind for s in outcome.added]


def test_a_file_makes_digest_and_pdq_signals(bank: Exchange, operator: Caller) -> None:
    """An image added to a bank gives md5, sha256 and pdq signals; adding it again adds nothing."""
    item = ContentItem(png(pattern(1)), {}, ["propaganda"], None, "poster-1")
    [first] = bank.content.add(operator, "propaganda", [item])
    assert sorted(s.kind for s in first.added) == ["md5", "pdq", "sha256"]
    assert {s.external_id for s in first.added} == {"poster-1"}
    [second] = bank.content.add(operator, "propaganda", [item])
    assert second.added == []
    assert sorted(s.kind for s in second.present) == ["md5", "pdq", "sha256"]


def test_the_same_file_matches_exactly_and_an_edit_perceptually(bank: Exchange, operator: Caller) -> None:
    """The file itself hits all three signals; an edited copy hits the PDQ signal within 31 bits."""
    bank.content.add(operator, "propaganda", [ContentItem(png(pattern(1)), {}, ["propaganda"])])
    same = bank.content.match(operator, ContentQuery(file=png(pattern(1))))
    assert sorted(h.signal.kind for h in same.hits) == ["md5", "pdq", "sha256"]
    assert all(h.distance == 0 for h in same.hits)
    near = bank.content.match(operator, ContentQuery(file=edited(1)))
    [hit] = near.hits
    assert hit.signal.kind == "pdq"
    assert 0 < hit.distance <= 31
    assert hit.explanation["threshold"] == 31
    assert hit.collection.name == "propaganda"
    assert bank.content.match(operator, ContentQuery(file=png(pattern(2)))).hits == []


def test_the_collection_pdq_distance_is_applied(exchange: Exchange, operator: Caller) -> None:
    """A collection with PDQ distance 0 does not return an edited copy; one with 31 does."""
    exchange.collections.create(operator, "strict", "GREEN", kind_settings={"pdq": {"distance": 0}})
    exchange.collections.create(operator, "loose", "GREEN")
    for name in ("strict", "loose"):
        exchange.content.add(operator, name, [ContentItem(None, {"pdq": _pdq_of(exchange, png(pattern(3)))})])
    outcome = exchange.content.match(operator, ContentQuery(file=edited(3)))
    assert [h.collection.name for h in outcome.hits] == ["loose"]


def _pdq_of(exchange: Exchange, data: bytes) -> str:
    return exchange.content.hash_file(exchange.operator(), data).image.pdq.hex  # type: ignore[union-attr]


def test_low_quality_images_are_not_used_unless_asked(bank: Exchange, operator: Caller) -> None:
    """A flat image's PDQ hash (quality 0) is left out with a note; allow_low_quality adds it."""
    [plain] = bank.content.add(operator, "propaganda", [ContentItem(flat(), {})])
    assert sorted(s.kind for s in plain.added) == ["md5", "sha256"]
    assert "quality" in plain.notes[0]
    [forced] = bank.content.add(operator, "propaganda", [ContentItem(flat(), {}, allow_low_quality=True)])
    assert [s.kind for s in forced.added] == ["pdq"]
    outcome = bank.content.match(operator, ContentQuery(file=flat()))
    assert sorted(h.signal.kind for h in outcome.hits) == ["md5", "sha256"]
    assert outcome.notes


def test_text_near_duplicates_and_quotes_match(bank: Exchange, operator: Caller) -> None:
    """Text matches lightly edited, and quoted inside a longer post; each hit says which it was."""
    add(bank, operator, text=QUOTE)
    edited_text = QUOTE.replace("young man", "young woman").replace("winter", "spring")
    [hit] = bank.content.match(operator, ContentQuery(text=edited_text)).hits
    assert hit.match_type == "near_duplicate"
    post = f"{NEWS} {QUOTE} {NEWS.upper()[::-1]}"
    [quoted] = bank.content.match(operator, ContentQuery(text=post)).hits
    assert quoted.match_type == "containment"
    assert quoted.explanation["overlap_words"] >= 40


def test_url_rules_match_at_their_level(bank: Exchange, operator: Caller) -> None:
    """A prefix rule covers a channel's posts; a domain rule its subdomains; exact only the URL."""
    add(bank, operator, url={"url": "https://t.me/example_channel", "level": "prefix"})
    add(bank, operator, url={"url": "bad-site.example", "level": "domain"})
    add(bank, operator, url="https://news.example/story?id=7&utm_source=x")
    found = bank.content.match(operator, ContentQuery(url="HTTP://www.T.me/example_channel/123"))
    assert [h.match_type for h in found.hits] == ["prefix"]
    assert [
        h.match_type
        for h in bank.content.match(operator, ContentQuery(url="https://a.bad-site.example/x")).hits
    ] == ["domain"]
    assert [
        h.match_type for h in bank.content.match(operator, ContentQuery(url="news.example/story?id=7")).hits
    ] == ["exact"]
    assert bank.content.match(operator, ContentQuery(url="https://t.me/example_channel2")).hits == []


def test_videos_match_themselves_and_their_parts(bank: Exchange, operator: Caller, tmp_path: Path) -> None:
    """A video matches itself; its first half matches the whole (query 100 %, index about half)."""
    whole = video(tmp_path / "whole.mp4", [11, 12, 13, 14])
    half = video(tmp_path / "half.mp4", [11, 12])
    [outcome] = bank.content.add(operator, "propaganda", [ContentItem(whole, {}, ["attack-footage"])])
    assert "video" in [s.kind for s in outcome.added]
    [hit] = [
        h for h in bank.content.match(operator, ContentQuery(file=half)).hits if h.signal.kind == "video"
    ]
    assert hit.explanation["query_match_pct"] == 100.0
    assert 40.0 <= hit.explanation["index_match_pct"] <= 60.0
    other = video(tmp_path / "other.mp4", [21, 22])
    assert bank.content.match(operator, ContentQuery(file=other)).hits == []


def test_hidden_hits_reveal_nothing_and_the_owner_gets_a_sighting(
    exchange: Exchange, operator: Caller
) -> None:
    """A platform that may not see an AMBER signal gets no hit; the owner sees the sighting."""
    exchange.collections.create(operator, "restricted", "AMBER")
    exchange.content.add(operator, "restricted", [ContentItem(png(pattern(5)), {}, ["propaganda"])])
    platform = outsider(exchange, operator)
    outcome = exchange.content.match(platform, ContentQuery(file=png(pattern(5))))
    assert outcome.hits == []
    assert outcome.restricted == []
    seen = exchange.content.sightings(operator)
    assert len(seen) == 3
    assert {s.is_visible for s in seen} == {False}
    assert {s.org_id for s in seen} == {platform.principal.org_id}
    with pytest.raises(Forbidden):
        exchange.content.sightings(platform)


def test_notify_policy_names_the_owner_only(exchange: Exchange, operator: Caller) -> None:
    """With hit_policy notify, the caller learns that a restricted signal matched and whom to contact."""
    exchange.collections.create(operator, "restricted", "AMBER", hit_policy="notify")
    add_to = ContentItem(None, {"md5": "0" * 32}, ["propaganda"])
    exchange.content.add(operator, "restricted", [add_to])
    platform = outsider(exchange, operator)
    outcome = exchange.content.match(platform, ContentQuery(md5="0" * 32))
    assert outcome.hits == []
    assert [(r.owner, r.kind) for r in outcome.restricted] == [("coalition", "md5")]


def test_visible_hits_are_sighted_too(bank: Exchange, operator: Caller) -> None:
    """A GREEN hit is returned to another organization and sighted as visible."""
    add(bank, operator, md5="a" * 32)
    platform = outsider(bank, operator)
    [hit] = bank.content.match(platform, ContentQuery(md5="A" * 32)).hits
    assert hit.signal.kind == "md5"
    [sighting] = bank.content.sightings(operator)
    assert sighting.is_visible
    assert sighting.signal_id == hit.signal.id


def test_status_changes_are_followed_without_a_rebuild(bank: Exchange, operator: Caller) -> None:
    """An expired signal stops matching at the next lookup; reactivating it brings it back."""
    add(bank, operator, sha256="b" * 64)
    [hit] = bank.content.match(operator, ContentQuery(sha256="b" * 64)).hits
    bank.signals.set_status(operator, hit.signal.id, "expired", "superseded")
    assert bank.content.match(operator, ContentQuery(sha256="b" * 64)).hits == []
    bank.signals.set_status(operator, hit.signal.id, "active", "restored")
    assert len(bank.content.match(operator, ContentQuery(sha256="b" * 64)).hits) == 1


def test_bad_files_are_refused_and_nothing_is_stored(bank: Exchange, operator: Caller) -> None:
    """Empty and truncated images are refused naming the item; the bank stays empty."""
    truncated = jpeg(pattern(1))[:400]
    for data in (b"", truncated):
        with pytest.raises(InvalidInput) as caught:
            bank.content.add(
                operator, "propaganda", [ContentItem(None, {"md5": "c" * 32}), ContentItem(data, {})]
            )
        assert caught.value.field is not None and caught.value.field.startswith("items[1]")
    assert bank.signals.count(operator, SignalQuery()) == 0


def test_an_item_needs_exactly_one_value(bank: Exchange, operator: Caller) -> None:
    """Two values, or none, in one item is an error naming the item."""
    with pytest.raises(InvalidInput, match="exactly one"):
        bank.content.add(operator, "propaganda", [ContentItem(None, {"md5": "c" * 32, "text": "x"})])
    with pytest.raises(InvalidInput, match="exactly one"):
        bank.content.match(operator, ContentQuery())


def test_only_the_owner_adds_to_a_bank(bank: Exchange, operator: Caller) -> None:
    """Another organization may match against a GREEN bank but not add to it."""
    platform = outsider(bank, operator)
    with pytest.raises(Forbidden):
        bank.content.add(platform, "coalition/propaganda", [ContentItem(None, {"md5": "d" * 32})])


def test_indexes_persist_and_reload(bank: Exchange, operator: Caller) -> None:
    """Saved indexes load in a new service and then follow changes made since."""
    bank.content.add(operator, "propaganda", [ContentItem(png(pattern(7)), {})])
    add(bank, operator, text=QUOTE)
    add(bank, operator, md5="6" * 32)
    [gone] = bank.content.match(operator, ContentQuery(md5="6" * 32)).hits
    bank.signals.set_status(operator, gone.signal.id, "expired", "old")
    assert bank.content.match(operator, ContentQuery(file=edited(7))).hits
    bank.content.save_indexes()
    add(bank, operator, url="https://later.example/a")
    fresh = ContentService(
        bank.store,
        bank.kinds,
        bank.clock,
        bank.signals,
        bank.content.indexes.directory,
        bank.content.indexes.store_id,
    )
    assert [h.signal.kind for h in fresh.match(operator, ContentQuery(file=edited(7))).hits] == ["pdq"]
    assert fresh.match(operator, ContentQuery(url="later.example/a")).hits
    assert fresh.match(operator, ContentQuery(text=QUOTE)).hits
    assert fresh.match(operator, ContentQuery(md5="6" * 32)).hits == []
    with bank.store.snapshot() as uow:
        assert fresh.indexes.seq == uow.signals.last_change_seq()


def test_a_corrupt_saved_index_is_rebuilt(bank: Exchange, operator: Caller) -> None:
    """A damaged index directory is ignored and rebuilt from the store."""
    add(bank, operator, md5="e" * 32)
    bank.content.match(operator, ContentQuery(md5="e" * 32))
    bank.content.save_indexes()
    directory = bank.content.indexes.directory
    assert directory is not None
    (directory / "labels.npy").write_bytes(b"not numpy")
    fresh = ContentService(
        bank.store, bank.kinds, bank.clock, bank.signals, directory, bank.content.indexes.store_id
    )
    assert len(fresh.match(operator, ContentQuery(md5="e" * 32)).hits) == 1


def test_batches_answer_in_order(bank: Exchange, operator: Caller) -> None:
    """A batch of lookups is answered in order, with each query's id."""
    add(bank, operator, md5="f" * 32)
    queries = [ContentQuery(md5="f" * 32, id="one"), ContentQuery(md5="0" * 32, id="two")]
    outcomes = bank.content.match_many(operator, queries)
    assert [(o.id, len(o.hits)) for o in outcomes] == [("one", 1), ("two", 0)]
    with pytest.raises(InvalidInput) as caught:
        bank.content.match_many(operator, [ContentQuery(md5="f" * 32), ContentQuery(md5="zz")])
    assert caught.value.field == "queries[1].md5"


def test_each_collection_holds_text_hits_to_its_own_thresholds(exchange: Exchange, operator: Caller) -> None:
    """A collection asking for 0.95 similarity ignores an edited copy that the default one returns."""
    exchange.collections.create(
        operator, "strict-text", "GREEN", kind_settings={"text": {"min_similarity": 0.95}}
    )
    exchange.collections.create(operator, "plain-text", "GREEN")
    for name in ("strict-text", "plain-text"):
        exchange.content.add(operator, name, [ContentItem(None, {"text": QUOTE})])
    edited_text = (
        QUOTE.replace("young man", "young woman")
        .replace("winter", "spring")
        .replace("mountains", "hills")
        .replace("capital", "port")
        .replace("unbelievers", "traitors")
    )
    outcome = exchange.content.match(operator, ContentQuery(text=edited_text))
    assert [h.collection.name for h in outcome.hits] == ["plain-text"]
    assert outcome.hits[0].explanation["score"] < 0.95


def test_content_works_on_every_store(any_exchange: Exchange) -> None:
    """Adding, matching, following a status change and sightings behave the same on SQLite and PostgreSQL."""
    operator = any_exchange.operator("test")
    any_exchange.collections.create(operator, "bank", "AMBER")
    any_exchange.content.add(operator, "bank", [ContentItem(png(pattern(9)), {}, ["propaganda"], None, "p9")])
    add_text = ContentItem(None, {"text": QUOTE}, ["incitement"])
    any_exchange.content.add(operator, "bank", [add_text])
    hits = any_exchange.content.match(operator, ContentQuery(file=edited(9))).hits
    assert [(h.signal.kind, h.signal.external_id) for h in hits] == [("pdq", "p9")]
    [text_hit] = any_exchange.content.match(operator, ContentQuery(text=QUOTE)).hits
    any_exchange.signals.set_status(operator, text_hit.signal.id, "delisted", "withdrawn by the owner")
    assert any_exchange.content.match(operator, ContentQuery(text=QUOTE)).hits == []
    assert len(any_exchange.content.sightings(operator)) == 2


def test_negative_banks_silence_every_hit(exchange: Exchange, operator: Caller) -> None:
    """An item in a negative bank (known benign) returns no hit, even when a positive bank holds it."""
    exchange.collections.create(operator, "propaganda", "GREEN")
    exchange.collections.create(operator, "news-footage", "GREEN", purpose="negative")
    exchange.content.add(operator, "propaganda", [ContentItem(png(pattern(20)), {}, ["propaganda"])])
    exchange.content.add(
        operator, "news-footage", [ContentItem(None, {"pdq": _pdq_of(exchange, png(pattern(20)))})]
    )
    outcome = exchange.content.match(operator, ContentQuery(file=edited(20)))
    assert outcome.hits == []
    assert any("benign" in note for note in outcome.notes)
    assert exchange.content.match(operator, ContentQuery(file=png(pattern(21)))).notes == []


def test_false_positive_opinions_suppress_for_that_organization_only(
    bank: Exchange, operator: Caller
) -> None:
    """A signal an organization marked false_positive stops matching for it; others still see the hit."""
    add(bank, operator, md5="9" * 32)
    platform = outsider(bank, operator, role="analyst")
    [hit] = bank.content.match(platform, ContentQuery(md5="9" * 32)).hits
    bank.signals.give_opinion(platform, hit.signal.id, "false_positive", "a stock photo")
    assert bank.content.match(platform, ContentQuery(md5="9" * 32)).hits == []
    assert len(bank.content.match(operator, ContentQuery(md5="9" * 32)).hits) == 1
    bank.signals.give_opinion(platform, hit.signal.id, "agree")
    assert len(bank.content.match(platform, ContentQuery(md5="9" * 32)).hits) == 1


class Recorder:
    """A match observer that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def matched(self, uow: object, caller: Caller, outcomes: list[MatchOutcome]) -> list[MatchOutcome]:
        """Record the caller's actor and the number of visible hits."""
        self.seen.append((caller.principal.actor, sum(len(o.hits) for o in outcomes)))
        return outcomes


def test_the_observer_hears_every_lookup(bank: Exchange, operator: Caller) -> None:
    """The match observer (review cases) is told of each batch with its visible hits."""
    recorder = Recorder()
    bank.content.observer = recorder
    add(bank, operator, md5="8" * 32)
    bank.content.match_many(operator, [ContentQuery(md5="8" * 32), ContentQuery(md5="7" * 32)])
    assert recorder.seen == [(operator.principal.actor, 1)]
