"""URLs as signals: one canonical form per web address, and rules at three levels.

A platform checks every link its users post against links the members have flagged. The same page is
written many ways (`HTTP://WWW.Example.com:80/a/./b/?utm_source=x`), so both sides are reduced to one
canonical form and compared as strings. The form follows what a browser does with the text (the WHATWG URL
standard): whatever a browser would open is what we match, so that an attacker cannot slip a flagged link
past the check by writing it differently.

Decisions:
- Scheme: only `http` and `https` (any case); `javascript:`, `data:`, `file:`, `ftp:` and the rest are
  refused. Both serve the same content in practice, so the canonical form always says `https`. Bare input
  (`t.me/channel`, `example.com:8080/a`) and protocol-relative input (`//t.me/channel`) are read as https;
  like a browser, any number of slashes may follow the scheme (`https:/x.com`), and a backslash before
  the query is a slash (so `https://evil.com\\@good.com` is on evil.com, as a browser sees it).
- Userinfo (`http://good.com@evil.com`) is stripped and the real host, the one after the last `@`, is
  matched: that is where a browser goes, so refusing would only let such a link through unchecked, and
  credentials must not be stored as part of a signal. A percent-encoded host (`%65vil.com`) is decoded,
  as a browser does, and checked again.
- Host: UTS 46 mapping with the `idna` package (case folded, full-width forms and dots mapped), each
  non-ASCII label to punycode (`xn--`); an `xn--` label must be valid punycode in its canonical spelling.
  As in browsers, symbols that IDNA 2008 leaves out (emoji domains) are allowed and labels mixing
  left-to-right and right-to-left letters are refused. ASCII labels are letters, digits, `-` and `_` (a
  hyphen may start or end a label, as browsers allow); other punctuation is refused. The trailing dot is
  removed. A host needs a dot (`localhost` and intranet names are not content on the web) unless it is
  an IP address. IPv4 is read as a browser reads it (`0x7f.1`, `2130706433` and `127.0.0.1` are one
  host) and written dotted; IPv6 is written compressed in brackets.
- Host variants: the leading labels `www`, `m`, `mobile` and `mbasic` are removed while at least two
  labels remain (`m.facebook.com` is `facebook.com`; `m.me`, Messenger, stays). `HOST_ALIASES` folds the
  aliases common in this field, subdomains included: telegram.me and telegram.dog to t.me, twitter.com to
  x.com, fb.com to facebook.com, instagr.am to instagram.com, youtube-nocookie.com to youtube.com,
  vkontakte.ru to vk.com. The folding applies to rules too: a domain rule on `m.example.com` covers
  `example.com`, because they are one site.
- Port: 80 and 443 are both removed (the scheme is folded, so both are defaults); other ports stay.
- Path: percent-encoding normalised (unreserved characters decoded, hex uppercase, everything outside
  RFC 3986's path characters encoded as UTF-8, a lone `%` as `%25`), then dot segments resolved, empty
  segments (`//`) collapsed and the trailing slash removed; the root path is `/`. Path case is kept
  (paths are case-sensitive) except for the first segment on `ACCOUNT_HOSTS`, where it is an account
  name that the site itself treats without case (t.me, x.com, instagram.com, facebook.com, tiktok.com,
  youtube.com); a Telegram invite (`t.me/+Hash`) keeps its case.
- Query: the same percent rules; empty pairs and tracking parameters (`TRACKING_PARAMS` and any `utm_*`)
  are dropped, the rest sorted as whole `name=value` strings. `+` is kept as written.
- Site rules: `youtu.be/ID`, `youtube.com/shorts/ID`, `/embed/ID`, `/v/ID` and `/live/ID` become
  `youtube.com/watch?v=ID`, and a watch URL keeps only `v` (a video is its id; `t`, `list` and the rest
  are position and context); `t.me/s/name` (the web preview) is `t.me/name`; on `QUERYLESS_HOSTS` (t.me,
  x.com, instagram.com, tiktok.com) the query is dropped: those sites address content by path alone and
  use the query for sharing and tracking.
- Fragment: dropped, except a hashbang (`#!/path`), which addresses distinct content on AJAX sites and
  stays in the exact key.
- Refused: anything over `MAX_URL_CHARS`, control, bidi and zero-width characters (anywhere, even
  percent-encoded in the host), a missing or malformed host, a port outside 0-65535.

Rule levels: `exact` is the canonical URL; `prefix` is a host, port and path at segment boundaries
(`t.me/abc` covers `t.me/abc/123` and `t.me/abc?x`, not `t.me/abcd`; no subdomains; a prefix rule may
not carry a query or fragment); `domain` is a host and all its subdomains (`example.com` covers
`a.example.com`, not `badexample.com`; any port; the rule must be a bare host; an IP address covers only
itself). A top-level domain alone is refused (it has no dot), but the public suffix list is not consulted:
a domain rule on `co.uk` is accepted and covers all of it. A rule's key is `level:target`; a target too
long for a 512-character key is replaced by its SHA-256.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

import idna

from ctexchange.domain.choices import Choice
from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.domain.text import clean_text, find_hidden_char
from ctexchange.errors import InvalidInput

MAX_URL_CHARS = 2048
MAX_KEY_CHARS = 512
CANONICAL_SCHEME = "https"
DEFAULT_PORTS = frozenset({80, 443})
FOLDED_HOST_LABELS = frozenset({"www", "m", "mobile", "mbasic"})
HOST_ALIASES: Mapping[str, str] = {
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "twitter.com": "x.com",
    "fb.com": "facebook.com",
    "instagr.am": "instagram.com",
    "youtube-nocookie.com": "youtube.com",
    "vkontakte.ru": "vk.com",
}
ACCOUNT_HOSTS = frozenset({"t.me", "x.com", "instagram.com", "facebook.com", "tiktok.com", "youtube.com"})
QUERYLESS_HOSTS = frozenset({"t.me", "x.com", "instagram.com", "tiktok.com"})
YOUTUBE_VIDEO_PATHS = frozenset({"shorts", "embed", "v", "live"})
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "igsh", "li_fat_id", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "si", "feature", "ref", "ref_src", "ref_url",
    }
)  # fmt: skip

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_BARE_PORT = re.compile(r"[0-9]*(?:[/?#]|$)")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_TOKENS = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
_QUERY_TOKENS = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_ESCAPE_OR_TEXT = re.compile(r"%[0-9A-F]{2}|[^%]+")
_BEFORE_QUERY = re.compile(r"[^?#]*")
_ASCII_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_IPV4_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")
_HOST_EXPECTED = "a URL with a valid host name (example.com) or IP address"
_IPV4_EXPECTED = "a URL with a valid IPv4 address"


class UrlLevel(Choice):
    """How much a URL rule covers: one URL, everything under a path, or a whole domain."""

    EXACT = "exact"
    PREFIX = "prefix"
    DOMAIN = "domain"


@dataclass(frozen=True)
class CanonicalUrl:
    """A URL in canonical form; `url` is the string used as the exact key.

    `host` is punycode, lowercase, folded (IPv6 in brackets); `path` starts with `/`; `query` has no `?`;
    `port` is None for the default ports; `fragment` is empty or a hashbang without its `#`.
    """

    url: str
    host: str
    path: str
    query: str
    port: int | None = None
    fragment: str = ""

    @property
    def authority(self) -> str:
        """Return the host with its port, as written in the URL."""
        return self.host if self.port is None else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class UrlRule:
    """A URL rule: for DOMAIN only the host matters; for PREFIX the host, port and path."""

    level: UrlLevel
    url: CanonicalUrl

    @property
    def target(self) -> str:
        """Return what the rule is keyed on: the URL, `authority/path`, or the host."""
        if self.level is UrlLevel.EXACT:
            return self.url.url
        if self.level is UrlLevel.PREFIX:
            return self.url.authority + self.url.path
        return self.url.host

    @property
    def key(self) -> str:
        """Return the rule's key (`rule_key`)."""
        return rule_key(self.level, self.target)


def rule_key(level: UrlLevel, target: str) -> str:
    """Return `level:target`, with the target hashed when the key would pass 512 characters."""
    key = f"{level.value}:{target}"
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"{level.value}:sha256:{hashlib.sha256(target.encode()).hexdigest()}"


def canonicalize_url(raw: str, field: str = "url") -> CanonicalUrl:
    """Return the canonical form of the http(s) URL `raw` (see the module's decisions).

    Raises InvalidInput naming `field` for anything that is not such a URL.
    """
    text = clean_text(raw, field, max_chars=MAX_URL_CHARS)
    authority, path, query, fragment = _split(_drop_scheme(text, field), field)
    host, port = _parse_authority(authority, field)
    pairs = _query_pairs(query)
    host, path, pairs = _apply_site_rules(host, _normalize_path(path), pairs)
    fragment = _escape(fragment, _QUERY_TOKENS) if fragment.startswith("!") else ""
    return _compose(host, port, path, "&".join(sorted(pairs)), fragment)


def _compose(host: str, port: int | None, path: str, query: str, fragment: str = "") -> CanonicalUrl:
    """Return the CanonicalUrl of parts that are already canonical."""
    url = f"{CANONICAL_SCHEME}://{host}{'' if port is None else f':{port}'}{path}"
    url += f"?{query}" if query else ""
    url += f"#{fragment}" if fragment else ""
    return CanonicalUrl(url, host, path, query, port, fragment)


def _drop_scheme(text: str, field: str) -> str:
    """Return `text` without its http(s) scheme and the slashes after it; refuse other schemes."""
    text = _BEFORE_QUERY.sub(lambda before: before.group().replace("\\", "/"), text, count=1)
    match = _SCHEME.match(text)
    if match is None or ("." in match.group(1) and _BARE_PORT.match(text, match.end())):  # host:port/...
        if text.startswith("/") and not text.startswith("//"):
            raise InvalidInput.expected(field, "an absolute http or https URL", text)
        return text.lstrip("/")
    if match.group(1).lower() not in ("http", "https"):
        raise InvalidInput.expected(field, "an http or https URL", text)
    return text[match.end() :].lstrip("/")


def _split(text: str, field: str) -> tuple[str, str, str, str]:
    """Split `authority[/path][?query][#fragment]` into its four parts."""
    rest, _, fragment = text.partition("#")
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if not authority:
        raise InvalidInput.expected(field, _HOST_EXPECTED, text)
    return authority, slash + path, query, fragment


def _parse_authority(authority: str, field: str) -> tuple[str, int | None]:
    """Return the canonical host and port of `[userinfo@]host[:port]`; the userinfo is dropped."""
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host, bracket, port_text = hostport[1:].partition("]")
        if not bracket or (port_text and not port_text.startswith(":")):
            raise InvalidInput.expected(field, _HOST_EXPECTED, authority)
        return _ipv6(host, field), _port(port_text[1:], field)
    host, _, port_text = hostport.partition(":")
    return _host(host, field), _port(port_text, field)


def _port(text: str, field: str) -> int | None:
    """Return the port, or None for an empty or default one; refuse anything but 0-65535."""
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > 65535:
        raise InvalidInput.expected(field, "a URL with a port from 0 to 65535", text)
    port = int(text)
    return None if port in DEFAULT_PORTS else port


def _ipv6(text: str, field: str) -> str:
    """Return the compressed IPv6 address in brackets; zone ids (`%eth0`) are refused."""
    try:
        if "%" in text:
            raise ValueError("zone id")
        return f"[{ipaddress.IPv6Address(text).compressed}]"
    except ValueError as exc:
        raise InvalidInput.expected(field, "a URL with a valid IPv6 address", text) from exc


def _host(text: str, field: str) -> str:
    """Return the canonical host name or IPv4 address of `text` (percent-decoded, mapped, punycode)."""
    try:
        decoded = unquote(text, errors="strict") if "%" in text else text
        _refuse_hidden(decoded, field)
        labels = idna.uts46_remap(decoded, std3_rules=False).split(".")
    except ValueError as exc:  # UnicodeError and IDNAError are ValueErrors
        raise InvalidInput.expected(field, _HOST_EXPECTED, text) from exc
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    address = _ipv4(labels, field)
    if address is not None:
        return address
    host = ".".join(_ascii_label(label, field) for label in labels)
    if len(labels) < 2 or len(host) > 253:
        raise InvalidInput.expected(field, _HOST_EXPECTED, text)
    return _fold_host(host)


def _refuse_hidden(text: str, field: str) -> None:
    problem = find_hidden_char(text)
    if problem is not None:
        raise InvalidInput(f"'{field}' must not contain hidden characters (found {problem})", field=field)


def _ascii_label(label: str, field: str) -> str:
    """Return `label` in ASCII: punycode for a non-ASCII label; an `xn--` label must be canonical punycode."""
    try:
        if not label.isascii():
            idna.check_bidi(label)
            label = "xn--" + label.encode("punycode").decode("ascii")
        elif label.startswith("xn--") and _punycode_label(label[4:], field) != label:
            raise ValueError("punycode not in canonical form")
    except ValueError as exc:  # UnicodeError and IDNAError are ValueErrors
        raise InvalidInput.expected(field, _HOST_EXPECTED, label) from exc
    if not _ASCII_LABEL.fullmatch(label):
        raise InvalidInput.expected(field, _HOST_EXPECTED, label)
    return label


def _punycode_label(encoded: str, field: str) -> str:
    """Return the label that the Unicode text of punycode `encoded` canonicalises to."""
    text = encoded.encode("ascii").decode("punycode")
    _refuse_hidden(text, field)
    mapped = idna.uts46_remap(text, std3_rules=False)
    if mapped != text or not text or text.isascii():
        raise ValueError("punycode of an unmapped or ASCII label")
    return _ascii_label(text, field)


def _ipv4(labels: list[str], field: str) -> str | None:
    """Return the dotted IPv4 address the labels spell as a browser reads it; None if no number ends them."""
    if not _IPV4_NUMBER.fullmatch(labels[-1]):
        return None
    try:
        *parts, last = [_ipv4_number(label) for label in labels]
    except ValueError as exc:
        raise InvalidInput.expected(field, _IPV4_EXPECTED, ".".join(labels)) from exc
    if len(parts) > 3 or any(part > 255 for part in parts) or last >= 256 ** (4 - len(parts)):
        raise InvalidInput.expected(field, _IPV4_EXPECTED, ".".join(labels))
    value = sum(part << 8 * (3 - i) for i, part in enumerate(parts)) + last
    return str(ipaddress.IPv4Address(value))


def _ipv4_number(label: str) -> int:
    """Return one part of an IPv4 address: decimal, `0x` hexadecimal or `0` octal; ValueError if invalid."""
    if label.startswith("0x"):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label[1:], 8)
    return int(label, 10)


def _fold_host(host: str) -> str:
    """Remove the `www.`-like leading labels, then replace an aliased domain (or its parent) by its alias."""
    labels = host.split(".")
    while len(labels) > 2 and labels[0] in FOLDED_HOST_LABELS:
        labels.pop(0)
    for start in range(len(labels) - 1):
        alias = HOST_ALIASES.get(".".join(labels[start:]))
        if alias is not None:
            return ".".join([*labels[:start], alias])
    return ".".join(labels)


def _escape(text: str, tokens: re.Pattern[str]) -> str:
    """Return `text` with unreserved escapes decoded, other escapes uppercase, and the rest encoded."""
    return tokens.sub(_escape_token, text)


def _escape_token(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 3:
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    return "".join(f"%{byte:02X}" for byte in token.encode("utf-8"))


def _normalize_path(path: str) -> str:
    """Return the path with escapes normalised, dot and empty segments resolved, no trailing slash."""
    segments: list[str] = []
    for segment in _escape(path, _PATH_TOKENS).split("/"):
        if segment == "..":
            del segments[-1:]
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments)


def _query_pairs(query: str) -> list[str]:
    """Return the query's `name=value` pairs with escapes normalised, empty and tracking ones dropped."""
    pairs = [_escape(pair, _QUERY_TOKENS) for pair in query.split("&") if pair]
    return [pair for pair in pairs if not _is_tracking(pair.partition("=")[0])]


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _apply_site_rules(host: str, path: str, pairs: list[str]) -> tuple[str, str, list[str]]:
    """Apply the per-site rules of the module's list: YouTube video ids, Telegram previews, account case."""
    segments = path.split("/")[1:] if path != "/" else []
    if host == "youtu.be" and len(segments) == 1:
        host, segments, pairs = "youtube.com", ["watch"], [_query_value("v", segments[0]), *pairs]
    while host == "t.me" and len(segments) > 1 and segments[0].lower() == "s":  # no channel is called "s"
        segments = segments[1:]
    if host in ACCOUNT_HOSTS and segments and not segments[0].startswith("+"):
        segments[0] = _ESCAPE_OR_TEXT.sub(_lower_text, segments[0])
    if host == "youtube.com":
        segments, pairs = _youtube(segments, pairs)
    if host in QUERYLESS_HOSTS:
        pairs = []
    return host, "/" + "/".join(segments), pairs


def _youtube(segments: list[str], pairs: list[str]) -> tuple[list[str], list[str]]:
    """Return a YouTube video address as `watch?v=ID`, keeping only `v`."""
    if len(segments) == 2 and segments[0] in YOUTUBE_VIDEO_PATHS:
        segments, pairs = ["watch"], [_query_value("v", segments[1])]
    if segments == ["watch"]:
        pairs = [pair for pair in pairs if pair.partition("=")[0] == "v"]
    return segments, pairs


def _query_value(name: str, segment: str) -> str:
    """Return `name=segment` with the characters that delimit query pairs escaped."""
    return f"{name}={segment.replace('&', '%26').replace('=', '%3D').replace('+', '%2B')}"


def _lower_text(match: re.Match[str]) -> str:
    """Lowercase a run of text, not an escape (its hex stays uppercase)."""
    token = match.group()
    return token if token.startswith("%") else token.lower()


def parse_rule(raw: JsonValue, field: str = "url") -> UrlRule:
    """Return the rule `raw` states: a URL string (an exact rule) or `{"url": str, "level": str}`.

    Raises InvalidInput naming `field` (or `field.url`, `field.level`) for a bad URL or level, unknown
    keys, a domain rule with a path, query or port, or a prefix rule with a query or fragment.
    """
    if isinstance(raw, str):
        return UrlRule(UrlLevel.EXACT, canonicalize_url(raw, field))
    if not isinstance(raw, dict) or "url" not in raw or not set(raw) <= {"url", "level"}:
        raise InvalidInput.expected(field, "a URL string or an object with 'url' and 'level'", raw)
    level = UrlLevel.parse(raw.get("level", UrlLevel.EXACT.value), f"{field}.level")
    url = canonicalize_url(raw["url"], f"{field}.url")
    if level is UrlLevel.DOMAIN and (url.path != "/" or url.query or url.fragment or url.port is not None):
        raise InvalidInput.expected(
            f"{field}.url", "a bare host (no path, query or port) for a domain rule", url.url
        )
    if level is UrlLevel.PREFIX and (url.query or url.fragment):
        raise InvalidInput.expected(
            f"{field}.url", "a URL without query or fragment for a prefix rule", url.url
        )
    return UrlRule(level, url)


def rule_matches(rule: UrlRule, url: CanonicalUrl) -> bool:
    """Return whether `rule` covers the canonical `url` (the brute-force definition the index must equal)."""
    target = rule.url
    if rule.level is UrlLevel.EXACT:
        return url.url == target.url
    if rule.level is UrlLevel.PREFIX:
        under = target.path == "/" or url.path == target.path or url.path.startswith(target.path + "/")
        return url.authority == target.authority and under
    return url.host == target.host or url.host.endswith("." + target.host)


@dataclass(frozen=True)
class UrlKind:
    """The `url` kind: a URL rule at one of three levels, stored as `{"url": canonical, "level": level}`."""

    name: str = "url"
    family: Family = Family.CONTENT

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the canonical rule and its key (`level:target`); raise InvalidInput naming `field`."""
        rule = parse_rule(raw, field)
        return KindValue({"url": rule.url.url, "level": rule.level.value}, rule.key)

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """URLs have no settings; any key given is an error."""
        if raw:
            raise InvalidInput.expected(field, f"no settings for kind {self.name}", dict(raw))
        return {}


URL_KIND = UrlKind()
