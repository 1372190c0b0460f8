"""URL canonicalisation, rule levels and the url kind: one form per address, hostile input refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.signals import Family
from ctexchange.engines.content.url import (
    MAX_KEY_CHARS,
    MAX_URL_CHARS,
    URL_KIND,
    UrlLevel,
    UrlRule,
    canonicalize_url,
    parse_rule,
    rule_matches,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

CANONICAL_CASES = [
    # scheme and host case, default ports, root path
    ("http://example.com", "https://example.com/"),
    ("HTTPS://EXAMPLE.COM/", "https://example.com/"),
    ("HtTp://Example.Com/Path", "https://example.com/Path"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8080/a", "https://example.com:8080/a"),
    ("https://example.com:/a", "https://example.com/a"),
    ("https://example.com:0080/a", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    # bare input, slashes after the scheme, backslashes
    ("example.com/a", "https://example.com/a"),
    ("t.me/channel", "https://t.me/channel"),
    ("//example.com/a", "https://example.com/a"),
    ("example.com:8080/a", "https://example.com:8080/a"),
    ("https:/example.com/a", "https://example.com/a"),
    ("https:///example.com/a", "https://example.com/a"),
    ("https:\\\\example.com\\a\\b", "https://example.com/a/b"),
    ("  https://example.com/a  ", "https://example.com/a"),
    # internationalised hosts to punycode (Cyrillic, Arabic, German, Chinese, full-width forms)
    ("http://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
    ("https://ПРИМЕР.РФ/", "https://xn--e1afmkfd.xn--p1ai/"),
    ("https://موقع.وزارة-الاتصالات.مصر/", "https://xn--4gbrim.xn----ymcbaaajlc6dj7bxne2c.xn--wgbh1c/"),
    ("https://bücher.de/", "https://xn--bcher-kva.de/"),
    ("https://xn--BCHER-kva.de/", "https://xn--bcher-kva.de/"),
    ("https://例子.中国/", "https://xn--fsqu00a.xn--fiqs8s/"),
    ("https://ｅｘａｍｐｌｅ。com/", "https://example.com/"),
    ("https://☃.net/", "https://xn--n3h.net/"),
    ("https://%65xample.com/", "https://example.com/"),
    # IP addresses as a browser reads them
    ("http://127.0.0.1/", "https://127.0.0.1/"),
    ("http://0x7f.1/", "https://127.0.0.1/"),
    ("http://2130706433/", "https://127.0.0.1/"),
    ("http://0177.0.0.01/", "https://127.0.0.1/"),
    ("http://[2001:DB8:0:0::1]:8080/", "https://[2001:db8::1]:8080/"),
    # userinfo stripped: the real host is matched
    ("http://good.com@evil.com/x", "https://evil.com/x"),
    ("http://user:pass@example.com/", "https://example.com/"),
    ("http://a@b@evil.com/", "https://evil.com/"),
    ("https://evil.com\\@good.com/", "https://evil.com/@good.com"),
    # dot segments, empty segments, trailing slash
    ("https://example.com/a/./b/../c/", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/a/%2e%2E/b", "https://example.com/b"),
    ("https://example.com//a///b//", "https://example.com/a/b"),
    ("https://example.com/a/.", "https://example.com/a"),
    # percent-encoding
    ("https://example.com/%7euser/%41", "https://example.com/~user/A"),
    ("https://example.com/%c3%a9t%C3%A9", "https://example.com/%C3%A9t%C3%A9"),
    ("https://example.com/été", "https://example.com/%C3%A9t%C3%A9"),
    ("https://example.com/путь", "https://example.com/%D0%BF%D1%83%D1%82%D1%8C"),
    ("https://example.com/a b<c>", "https://example.com/a%20b%3Cc%3E"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/?q=%e2%82%ac&r=€", "https://example.com/?q=%E2%82%AC&r=%E2%82%AC"),
    # query: tracking parameters dropped, the rest sorted, empty pairs dropped
    ("https://example.com/a?utm_source=x&utm_medium=y", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?fbclid=1&gclid=2&id=3", "https://example.com/a?id=3"),
    ("https://example.com/a?UTM_Campaign=x&igshid=y&si=z&ref=r&feature=f", "https://example.com/a"),
    ("https://example.com/a?&&b=1&", "https://example.com/a?b=1"),
    ("https://example.com/a?b=1&a=2&a=1", "https://example.com/a?a=1&a=2&b=1"),
    ("https://example.com/a?q=a+b", "https://example.com/a?q=a+b"),
    ("https://example.com/a?", "https://example.com/a"),
    # fragment dropped, hashbang kept
    ("https://example.com/a#section", "https://example.com/a"),
    ("https://example.com/#!/page/1", "https://example.com/#!/page/1"),
    ("https://example.com/a?b=1#top", "https://example.com/a?b=1"),
    # www, m, mobile folded; short hosts kept
    ("https://www.example.com/a", "https://example.com/a"),
    ("https://m.example.com/a", "https://example.com/a"),
    ("https://mobile.example.com/a", "https://example.com/a"),
    ("https://www.m.example.com/a", "https://example.com/a"),
    ("https://m.me/page", "https://m.me/page"),
    ("https://www.com/", "https://www.com/"),
    ("https://a.www.example.com/", "https://a.www.example.com/"),
    # aliases of this field
    ("https://telegram.me/channel", "https://t.me/channel"),
    ("https://www.telegram.me/channel/12", "https://t.me/channel/12"),
    ("https://telegram.dog/channel", "https://t.me/channel"),
    ("https://t.me/s/channel/12", "https://t.me/channel/12"),
    ("https://t.me/S/Channel", "https://t.me/channel"),
    ("https://t.me/Channel/12?single", "https://t.me/channel/12"),
    ("https://t.me/+AbCdEf", "https://t.me/+AbCdEf"),
    ("https://t.me/joinchat/AbCdEf", "https://t.me/joinchat/AbCdEf"),
    ("https://twitter.com/Jack/status/20?s=20&t=abc", "https://x.com/jack/status/20"),
    ("https://mobile.twitter.com/jack/status/20", "https://x.com/jack/status/20"),
    ("https://X.com/Jack/Status/20", "https://x.com/jack/Status/20"),
    ("https://api.twitter.com/1.1/x", "https://api.x.com/1.1/x"),
    ("https://youtu.be/dQw4w9WgXcQ?si=abc&t=30", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1&t=1m", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://youtube.com/@SomeHandle/videos", "https://youtube.com/@somehandle/videos"),
    ("https://youtube.com/playlist?list=PLx&feature=share", "https://youtube.com/playlist?list=PLx"),
    ("https://youtu.be/a&b=c", "https://youtube.com/watch?v=a%26b%3Dc"),
    ("https://fb.com/SomePage", "https://facebook.com/somepage"),
    (
        "https://mbasic.facebook.com/story.php?story_fbid=1&id=2",
        "https://facebook.com/story.php?id=2&story_fbid=1",
    ),
    ("https://instagr.am/p/CaBc/?igsh=x", "https://instagram.com/p/CaBc"),
    ("https://www.tiktok.com/@User/video/123?is_from_webapp=1", "https://tiktok.com/@user/video/123"),
    ("https://vkontakte.ru/club1", "https://vk.com/club1"),
]


@pytest.mark.parametrize(("raw", "expected"), CANONICAL_CASES)
def test_canonical_form(raw: str, expected: str) -> None:
    """Each written form of an address canonicalises to the one expected string, and that string to itself."""
    canonical = canonicalize_url(raw)
    assert canonical.url == expected
    assert canonicalize_url(canonical.url) == canonical


def test_canonical_parts() -> None:
    """The parts of a canonical URL are its host, port, path, query and hashbang."""
    url = canonicalize_url("HTTP://WWW.Example.COM:8080/a/../b/?z=1&y=2#!/x")
    assert (url.host, url.port, url.path, url.query, url.fragment) == (
        "example.com",
        8080,
        "/b",
        "y=2&z=1",
        "!/x",
    )
    assert url.authority == "example.com:8080"
    assert canonicalize_url("https://example.com").authority == "example.com"


REFUSALS = [
    ("javascript:alert(1)", "an http or https URL"),
    ("JavaScript:alert(1)", "an http or https URL"),
    ("data:text/html,<script>x</script>", "an http or https URL"),
    ("file:///etc/passwd", "an http or https URL"),
    ("ftp://example.com/a", "an http or https URL"),
    ("mailto:someone@example.com", "an http or https URL"),
    ("t.me:channel", "an http or https URL"),
    ("/relative/path", "an absolute http or https URL"),
    ("http://", "a valid host name"),
    ("https:///", "a valid host name"),
    ("http://user@/", "a valid host name"),
    ("http://localhost/", "a valid host name"),
    ("channel", "a valid host name"),
    ("https://exa mple.com/", "a valid host name"),
    ("https://a..com/", "a valid host name"),
    ("https://example.com../", "a valid host name"),
    ("https://exa!mple.com/", "a valid host name"),
    ("https://xn--zz.com/", "a valid host name"),
    ("https://xn--abc-.com/", "a valid host name"),
    ("https://aא.com/", "a valid host name"),
    ("https://ex%ff.com/", "a valid host name"),
    ("https://evil.com%40good.com/", "a valid host name"),
    ("https://" + "a" * 64 + ".com/", "a valid host name"),
    ("http://example.com:99999/", "a port from 0 to 65535"),
    ("http://example.com:8o/", "a port from 0 to 65535"),
    ("http://example.com:-1/", "a port from 0 to 65535"),
    ("http://1.2.3.256/", "a valid IPv4 address"),
    ("http://1.2.3.4.5/", "a valid IPv4 address"),
    ("http://09.1.1.1/", "a valid IPv4 address"),
    ("http://example.123/", "a valid IPv4 address"),
    ("http://[::1/", "a valid host name"),
    ("http://[zz::1]/", "a valid IPv6 address"),
    ("http://[fe80::1%25eth0]/", "a valid IPv6 address"),
    ("https://exa\u200bmple.com/", "hidden characters"),
    ("https://example.com/\u202eabc", "hidden characters"),
    ("https://example.com/a\nb", "hidden characters"),
    ("https://example.com/a\x00", "hidden characters"),
    ("https://exa%E2%80%8Bmple.com/", "hidden characters"),
    ("https://xn--example-2z6c.com/", "hidden characters"),
    ("https://xn--bcher-2pa.de/", "a valid host name"),
    ("", "a non-empty string"),
    (None, "a string"),
    (42, "a string"),
    (["https://example.com"], "a string"),
]


@pytest.mark.parametrize(("raw", "expectation"), REFUSALS)
def test_refusals_name_the_field_and_the_expectation(raw: object, expectation: str) -> None:
    """Invalid URLs are refused with InvalidInput naming the field and what was expected."""
    with pytest.raises(InvalidInput) as info:
        canonicalize_url(raw, "link")  # type: ignore[arg-type]
    assert info.value.field == "link"
    assert expectation in info.value.message
    assert info.value.message.startswith("'link' must")


def test_default_field_is_url() -> None:
    """Without a field name, errors name 'url'."""
    with pytest.raises(InvalidInput) as info:
        canonicalize_url("javascript:void(0)")
    assert info.value.field == "url"


def test_overlong_urls_are_refused() -> None:
    """A URL over MAX_URL_CHARS characters is refused as too large; one at the limit is accepted."""
    path = "/" + "a" * (MAX_URL_CHARS - len("https://example.com/"))
    assert len(canonicalize_url("https://example.com" + path).url) == MAX_URL_CHARS
    with pytest.raises(PayloadTooLarge, match="at most 2048 characters"):
        canonicalize_url("https://example.com" + path + "a")


# Hypothesis: generated URLs with every kind of variation the canonical form absorbs.
_TOKENS = st.sampled_from(
    [
        "a",
        "B",
        "z",
        "0",
        "-",
        "_",
        "~",
        ".",
        "é",
        "ж",
        "ع",
        " ",
        "%41",
        "%2f",
        "%",
        "&",
        "=",
        "+",
        ":",
        "@",
        "!",
        "\\",
    ]
)
_QUERY_NAMES = st.sampled_from(["a", "B", "v", "id", "utm_source", "fbclid", "si", "q", "t", "list", "é"])
_HOSTS = st.sampled_from(
    ["example.com", "Example.COM", "www.example.com", "m.a.example.org", "пример.рф", "موقع.مصر", "t.me",
     "telegram.me", "twitter.com", "x.com", "youtu.be", "www.youtube.com", "fb.com", "instagram.com",
     "127.0.0.1", "0x7f.1", "[::1]", "bücher.de", "m.me", "www.com", "tiktok.com"]
)  # fmt: skip


def _texts(max_tokens: int) -> st.SearchStrategy[str]:
    return st.lists(_TOKENS, max_size=max_tokens).map("".join)


@st.composite
def raw_urls(draw: st.DrawFn) -> str:
    """An http(s) URL written in one of the many ways people and platforms write them."""
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", "", "//", "https:/"]))
    userinfo = draw(st.sampled_from(["", "user@", "good.com@", "u:p@" if scheme else "u@"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":"]))
    segments = draw(st.lists(_texts(4).map(lambda s: s.replace("\\", "/")), max_size=4))
    segments += draw(st.lists(st.sampled_from([".", "..", "", "S", "s", "shorts", "watch"]), max_size=2))
    pairs = draw(st.lists(st.tuples(_QUERY_NAMES, _texts(3)), max_size=3))
    query = "&".join(f"{name}={value}".replace("\\", "") for name, value in pairs)
    fragment = draw(st.sampled_from(["", "#top", "#!/a/B", "#!x%41"]))
    path = "/" + "/".join(draw(st.permutations(segments)))
    return f"{scheme}{userinfo}{draw(_HOSTS)}{port}{path}{'?' + query if query else ''}{fragment}"


@settings(max_examples=150, deadline=None)
@given(raw_urls())
def test_canonicalisation_is_idempotent(raw: str) -> None:
    """Canonicalising a canonical URL gives it back unchanged."""
    canonical = canonicalize_url(raw)
    assert canonicalize_url(canonical.url) == canonical
    assert canonical.url.isascii()
    assert canonical.url.startswith("https://")


@settings(max_examples=100, deadline=None)
@given(raw_urls(), st.sampled_from(["www.", "m.", "WWW."]), st.booleans(), st.booleans())
def test_variants_of_one_address_canonicalise_alike(
    raw: str, prefix: str, upper: bool, tracked: bool
) -> None:
    """A www/m host, upper-case host, http scheme, default port and tracking parameters change nothing."""
    canonical = canonicalize_url(raw)
    if canonical.host.startswith("[") or canonical.host[-1].isdigit() or canonical.host.count(".") < 1:
        return
    host = canonical.host.upper() if upper else canonical.host
    variant = f"http://{prefix}{host}:80{canonical.path}/?{canonical.query}&utm_source=x&fbclid=y"
    if not tracked:
        variant = variant.replace("&utm_source=x&fbclid=y", "")
    if canonical.fragment:
        variant += "#" + canonical.fragment
    if canonical.port is not None:
        variant = variant.replace(":80", f":{canonical.port}")
    assert canonicalize_url(variant).url == canonical.url


# Rules
def test_parse_rule_forms() -> None:
    """A string is an exact rule; an object names its level (exact by default), whatever its case."""
    assert parse_rule("t.me/abc") == UrlRule(UrlLevel.EXACT, canonicalize_url("t.me/abc"))
    assert parse_rule({"url": "t.me/abc"}).level is UrlLevel.EXACT
    assert parse_rule({"url": "t.me/abc", "level": "PREFIX"}).level is UrlLevel.PREFIX
    rule = parse_rule({"url": "www.Example.com", "level": "domain"})
    assert (rule.level, rule.url.host) == (UrlLevel.DOMAIN, "example.com")


@pytest.mark.parametrize(
    ("raw", "field", "expectation"),
    [
        ({"url": "t.me/abc", "level": "channel"}, "rule.level", "one of exact, prefix, domain"),
        ({"url": "t.me/abc", "level": "prefix", "extra": 1}, "rule", "an object with 'url' and 'level'"),
        ({"level": "prefix"}, "rule", "an object with 'url' and 'level'"),
        ({"url": 5, "level": "prefix"}, "rule.url", "a string"),
        ({"url": "javascript:x", "level": "domain"}, "rule.url", "an http or https URL"),
        ({"url": "example.com/a", "level": "domain"}, "rule.url", "a bare host"),
        ({"url": "example.com/?a=1", "level": "domain"}, "rule.url", "a bare host"),
        ({"url": "example.com:8080", "level": "domain"}, "rule.url", "a bare host"),
        ({"url": "example.com/a?b=1", "level": "prefix"}, "rule.url", "without query or fragment"),
        ({"url": "example.com/#!/a", "level": "prefix"}, "rule.url", "without query or fragment"),
        ({"url": "youtu.be/abc", "level": "prefix"}, "rule.url", "without query or fragment"),
        (["t.me/abc"], "rule", "a URL string or an object"),
        (None, "rule", "a URL string or an object"),
    ],
)
def test_bad_rules_are_refused(raw: object, field: str, expectation: str) -> None:
    """A bad level, unknown keys, or a URL that does not fit its level is refused naming the field."""
    with pytest.raises(InvalidInput) as info:
        parse_rule(raw, "rule")
    assert info.value.field == field
    assert expectation in info.value.message


MATCH_CASES = [
    ("exact", "t.me/abc/12", "https://t.me/abc/12", True),
    ("exact", "t.me/abc/12", "http://telegram.me/ABC/12/?utm_source=x", True),
    ("exact", "t.me/abc/12", "t.me/abc/13", False),
    ("exact", "example.com/a?x=1", "example.com/a", False),
    ("prefix", "t.me/abc", "t.me/abc", True),
    ("prefix", "t.me/abc", "t.me/abc/123", True),
    ("prefix", "t.me/abc", "t.me/abc/123?x=1", True),
    ("prefix", "t.me/abc", "t.me/abcd", False),
    ("prefix", "t.me/abc", "t.me/ab", False),
    ("prefix", "example.com/a/b", "example.com/a/b/c/d", True),
    ("prefix", "example.com/a/b", "example.com/a/bc", False),
    ("prefix", "example.com/a/b", "example.com/a", False),
    ("prefix", "example.com/", "example.com/anything/at/all", True),
    ("prefix", "example.com/a", "sub.example.com/a", False),
    ("prefix", "example.com/a", "example.com:8080/a", False),
    ("prefix", "example.com:8080/a", "example.com:8080/a/b", True),
    ("domain", "example.com", "example.com/a", True),
    ("domain", "example.com", "a.example.com/x", True),
    ("domain", "example.com", "a.b.example.com:8080/x", True),
    ("domain", "example.com", "badexample.com", False),
    ("domain", "example.com", "example.com.evil.net", False),
    ("domain", "a.example.com", "example.com", False),
    ("domain", "www.example.com", "m.example.com/page", True),
    ("domain", "twitter.com", "api.x.com", True),
    ("domain", "пример.рф", "http://новости.пример.рф/a", True),
    ("domain", "127.0.0.1", "http://2130706433/", True),
]


@pytest.mark.parametrize(("level", "rule", "url", "expected"), MATCH_CASES)
def test_rule_matches(level: str, rule: str, url: str, expected: bool) -> None:
    """Exact rules match the one URL; prefix rules at segment boundaries; domain rules and subdomains."""
    parsed = parse_rule({"url": rule, "level": level})
    assert rule_matches(parsed, canonicalize_url(url)) is expected


# The kind
def test_kind_identity_and_settings() -> None:
    """The url kind is a content kind and takes no settings."""
    assert (URL_KIND.name, URL_KIND.family) == ("url", Family.CONTENT)
    assert URL_KIND.validate_settings({}, "settings") == {}
    with pytest.raises(InvalidInput, match="no settings for kind url"):
        URL_KIND.validate_settings({"threshold": 1}, "settings")


@pytest.mark.parametrize(
    ("raw", "value", "key"),
    [
        ("http://WWW.t.me/abc/", {"url": "https://t.me/abc", "level": "exact"}, "exact:https://t.me/abc"),
        (
            {"url": "telegram.me/abc", "level": "prefix"},
            {"url": "https://t.me/abc", "level": "prefix"},
            "prefix:t.me/abc",
        ),
        (
            {"url": "example.com:8080/a", "level": "prefix"},
            {"url": "https://example.com:8080/a", "level": "prefix"},
            "prefix:example.com:8080/a",
        ),
        (
            {"url": "www.example.com", "level": "domain"},
            {"url": "https://example.com/", "level": "domain"},
            "domain:example.com",
        ),
    ],
)
def test_kind_values_and_keys(raw: object, value: object, key: str) -> None:
    """The kind stores the canonical URL and level, keyed `level:target`, and re-validates its own value."""
    validated = URL_KIND.validate(raw, "value")
    assert (validated.value, validated.key) == (value, key)
    assert URL_KIND.validate(validated.value, "value") == validated


def test_long_keys_are_hashed() -> None:
    """A key that would pass 512 characters is the level and the SHA-256 of the target."""
    validated = URL_KIND.validate("https://example.com/" + "a" * 1000, "value")
    assert validated.key.startswith("exact:sha256:")
    assert len(validated.key) <= MAX_KEY_CHARS
    assert validated.value["url"].endswith("a" * 1000)


def test_kind_refusals_name_the_field() -> None:
    """The kind's errors name the field it was given."""
    with pytest.raises(InvalidInput) as info:
        URL_KIND.validate("data:x", "value")
    assert info.value.field == "value"


@settings(max_examples=60, deadline=None)
@given(raw_urls(), st.sampled_from(list(UrlLevel)))
def test_kind_values_round_trip(raw: str, level: UrlLevel) -> None:
    """Any accepted rule re-validates to the same value and key."""
    try:
        validated = URL_KIND.validate({"url": raw, "level": level.value}, "value")
    except InvalidInput:
        assert level is not UrlLevel.EXACT
        return
    assert URL_KIND.validate(validated.value, "value") == validated
