"""Privacy by default: keyed pseudonyms, masking of personal data, secret redaction.

Every importer calls this module before anything reaches the store:

* author handles become keyed pseudonyms (HMAC-SHA256 with the study key, RFC 2104),
  stable across runs and sources, e.g. ``p_3f9a1c2d7e``;
* personal data in text (e-mail, phone numbers, IP addresses, profile URLs, ``u/name``
  and ``@handle`` mentions) is masked; mentions become the pseudonym of the handle, so
  who-replies-to-whom survives without the handle;
* every author handle a collector has seen (:class:`KnownHandles`) is replaced by its
  pseudonym wherever it appears in text: bare ("I know what you mean dieketzer"), in
  greetings ("Hi NAME,"), inside links;
* person names in running text are masked as ``[name]`` by a named-entity model
  (:func:`person_name_masker`, setting ``mask_person_names``), after handles and speaker
  names have become pseudonyms;
* credentials are stripped from headers and URLs before anything is archived or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "MIN_HANDLE_CHARS",
    "NAME_MASK",
    "KnownHandles",
    "Masker",
    "NameMask",
    "handle_tokens",
    "person_name_masker",
    "pseudonym",
    "redact_headers",
    "redact_url",
    "sha256_text",
    "study_kept_words",
    "study_name_masker",
]

NAME_MASK = "[name]"
PSEUDONYM_PREFIX = "p_"
_PSEUDONYM_HEX = 10  # 40 bits: ~0.5 % chance of any clash among 100,000 authors


def _normalise_handle(handle: str) -> str:
    handle = handle.strip()
    handle = re.sub(r"^(?:/?u/|/?user/|@)", "", handle, flags=re.IGNORECASE)
    return handle.casefold()


def pseudonym(handle: str, key: bytes) -> str:
    """The study's pseudonym for an author handle: HMAC-SHA256(key, handle).

    Handles are compared case-insensitively and without ``u/`` or ``@`` prefixes, as
    Reddit and most forums treat them.
    """
    if not key:
        raise ValueError("a pseudonym needs the study key")
    digest = hmac.new(key, _normalise_handle(handle).encode("utf-8"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:_PSEUDONYM_HEX]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Links to a person's page on a site where people have profiles. A tool's or vendor's
# page (linkedin.com/company/…, github.com/OWNER/REPO, bandcamp.com itself, landr.com)
# is no person's and stays.
_PROFILE_URL = re.compile(
    r"(?:https?://)?(?:[a-z0-9-]+\.)*"
    r"(?:reddit\.com/(?:u|user)/|facebook\.com/|instagram\.com/|(?:twitter|x)\.com/|"
    r"soundcloud\.com/|youtube\.com/(?:@|user/|c/|channel/)|tiktok\.com/@|"
    r"gearspace\.com/board/members/|kvraudio\.com/forum/memberlist\.php\?[^\s]*u=|"
    r"linkedin\.com/(?:in|pub)/|open\.spotify\.com/(?:intl-[a-z]+/)?(?:artist|user)/|"
    r"linktr\.ee/|mixcloud\.com/|patreon\.com/|twitch\.tv/|threads\.net/@|bsky\.app/profile/|"
    r"medium\.com/@|behance\.net/|vimeo\.com/(?!\d)|beatport\.com/artist/|"
    r"discogs\.com/(?:[a-z]{2}/)?artist/|music\.apple\.com/[a-z]{2}/artist/|"
    r"(?:www\.)?github\.com/(?=[^\s/)\]>,]+/?(?:[\s)\]>,?#]|$)))"
    r"[^\s/)\]>,]+/?"
    r"|(?<![\w.-])(?:https?://)?(?!www\.|daily\.|blog\.|help\.|get\.)[a-z0-9-]+\.bandcamp\.com\b[^\s)\]>,]*",
    re.IGNORECASE,
)
_PROFILE_HOSTS = (
    ".com/",
    "linktr.ee/",
    "twitch.tv/",
    "threads.net/",
    "bsky.app/",
    "behance.net/",
    ".bandcamp.com",
)
_IPV4 = re.compile(  # four dotted numbers, not five ("06.12.34.56.78" is a phone number)
    r"(?<!\d\.)\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b(?!\.\d)"
)
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){1,6}(?<!:)(?![\w:])"
)
# Phone numbers in the shapes libphonenumber formats (ITU-T E.123 / E.164): international
# ("+44 7700 900123", "+261349044276", "+33 6 12 34 56 78", "+49 (0)30 1234567", "0049 …"),
# national with the trunk prefix 0 ("07700 900123", "0612345678", "06 12 34 56 78",
# "(020) 7946 0958") and North American ("(555) 123-4567", "555.123.4567"). A number must
# begin with "+", a leading 0 or the NANP shape, so years, prices, versions, timestamps,
# sample rates and ISBNs (which never begin that way) are left alone.
_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(0\))?(?:[\s.-]?\(?\d{1,4}\)?){1,7}(?![\w-]|[.,]\d)"
    r"|(?<![\w+.,/-])(?:\(0\d{1,4}\)|0\d{1,4})(?:[\s.-]?\d{2,4}){1,5}(?![\w-]|[.,]\d)"
    r"|(?<![\w+.,/-])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-]|[.,]\d)"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}[./-]\d{2}[./-]\d{4}")
_REDDIT_MENTION = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})\b")
_AT_MENTION = re.compile(
    r"(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,58}[A-Za-z0-9_])(?![\w@-])"
)  # Discourse and XenForo handles may hold hyphens and dots: @dl-proto


_NON_DIGITS = re.compile(r"\D+")
_DIGIT_DOT_DIGIT = re.compile(r"\d\.\d")
_PHONE_HINT = re.compile(r"[+(]\d|(?<!\w)0\d|\d\d[\s.-]\d\d")
_PHONE_MIN_DIGITS = 8  # E.164 numbers have 8 to 15 digits with the country code
_PHONE_MAX_DIGITS = 15
_NATIONAL_MIN_DIGITS = 9  # a national number with its trunk 0: 9 digits or more
_ISBN_BEFORE = re.compile(r"isbn(?:-1[03])?:?\s*$", re.IGNORECASE)

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], Callable[[str], bool]]


def _has_profile_host(text: str) -> bool:
    lowered = text.lower()
    return any(host in lowered for host in _PROFILE_HOSTS)


def _has_at(text: str) -> bool:
    return "@" in text


def _has_ipv4_dots(text: str) -> bool:
    return text.count(".") >= 3 and _DIGIT_DOT_DIGIT.search(text) is not None


def _has_ipv6_colons(text: str) -> bool:
    return text.count(":") >= 2


def _has_phone_digits(text: str) -> bool:
    return (
        len(_NON_DIGITS.sub("", text)) >= _PHONE_MIN_DIGITS and _PHONE_HINT.search(text) is not None
    )


def _has_reddit_mention(text: str) -> bool:
    return "u/" in text


@dataclass(frozen=True)
class Masker:
    """Masks personal data in free text. Give it the study key to pseudonymise mentions.

    Each rule has a cheap pre-check on what every match needs (a ``.com/`` host, an
    ``@``, three dots, two colons, eight digits after a ``+``, ``(``, ``0`` or a
    digit-separator-digit shape, ``u/``); a text without it is passed by.
    """

    key: bytes = b""

    def mask(self, text: str) -> str:
        for pattern, replace, may_match in self._rules():
            if may_match(text):
                text = pattern.sub(replace, text)
        return text

    @staticmethod
    def mask_profile_urls(text: str) -> str:
        """Only profile links masked: for stored URLs, whose digits are no phone number."""
        return _PROFILE_URL.sub("[profile-url]", text) if _has_profile_host(text) else text

    __call__ = mask

    def _rules(self) -> list[_Rule]:
        return [
            (_PROFILE_URL, lambda _m: "[profile-url]", _has_profile_host),
            (_EMAIL, lambda _m: "[email]", _has_at),
            (_IPV4, lambda _m: "[ip]", _has_ipv4_dots),
            (_IPV6, lambda _m: "[ip]", _has_ipv6_colons),
            (_PHONE, self._phone, _has_phone_digits),
            (_REDDIT_MENTION, lambda m: "u/" + self._who(m.group(1)), _has_reddit_mention),
            (_AT_MENTION, lambda m: "@" + self._who(m.group(1)), _has_at),
        ]

    def _who(self, handle: str) -> str:
        return pseudonym(handle, self.key) if self.key else "[user]"

    @staticmethod
    def _phone(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = sum(ch.isdigit() for ch in found)
        least = _PHONE_MIN_DIGITS if found[0] in "+(1" else _NATIONAL_MIN_DIGITS
        if found.startswith(("00", "(00")):  # 00 is the international prefix, as "+"
            least = _PHONE_MIN_DIGITS + 2
        before = match.string[max(0, match.start() - 12) : match.start()]
        if (
            not least <= digits <= _PHONE_MAX_DIGITS + 2
            or _ISO_DATE.fullmatch(found)
            or _ISBN_BEFORE.search(before)
        ):
            return found
        return "[phone]"


MIN_HANDLE_CHARS = 3  # shorter handles ("jo", "a") cannot be told from ordinary words
_WORD_CACHE = 500_000
_TOKEN = re.compile(r"\w(?:[\w.-]*\w)?")
_TOKEN_PARTS = re.compile(r"[.-]")
_PLAIN_HANDLE = re.compile(r"[\w.-]+")


def handle_tokens(text: str) -> set[str]:
    """The case-folded words of a text that a handle could be (whole and split at . -)."""
    found = set(_TOKEN.findall(text.casefold()))
    for word in [word for word in found if "." in word or "-" in word]:
        found.update(part for part in _TOKEN_PARTS.split(word) if part)
    return found


class KnownHandles:
    """The author handles one collector has seen, replaced by pseudonyms wherever they appear.

    A handle is matched as a whole word, case-insensitively (``dieketzer`` in "I know
    what you mean dieketzer."); a word joined by ``.`` or ``-`` is also matched by its
    parts. Handles shorter than :data:`MIN_HANDLE_CHARS` or made of digits only are not
    replaced in text (they cannot be told from ordinary words and numbers).

    ``pseudonyms`` are those of authors already in the study: a word whose keyed
    pseudonym is one of them is a handle too, though its plain form was never stored
    (the HMAC is checked word by word, with a cache).
    """

    def __init__(self, key: bytes, pseudonyms: Iterable[str] = ()) -> None:
        self.key = key
        self._plain: dict[str, str] = {}
        self._spaced: dict[str, str] = {}
        self._spaced_pattern: re.Pattern[str] | None = None
        self._pseudonyms = set(pseudonyms)
        self._checked: dict[str, str | None] = {}
        self._hits: set[str] = set()  # case-folded words known to be handles

    def _study_handle(self, word: str) -> str | None:
        """The pseudonym of a word that is an author of the study, else None."""
        if not self._pseudonyms:
            return None
        folded = word.casefold()
        if folded in self._checked:
            return self._checked[folded]
        found: str | None = None
        if len(folded) >= MIN_HANDLE_CHARS and not folded.isdigit():
            candidate = pseudonym(folded, self.key)
            found = candidate if candidate in self._pseudonyms else None
        if len(self._checked) > _WORD_CACHE:
            self._checked.clear()
        self._checked[folded] = found
        if found is not None:
            self._hits.add(folded)
        return found

    def __len__(self) -> int:
        return len(self._plain) + len(self._spaced)

    def __contains__(self, handle: object) -> bool:
        if not isinstance(handle, str):
            return False
        name = _normalise_handle(handle)
        return name in self._plain or name in self._spaced

    def add(self, handle: str) -> str | None:
        """Remember a handle; return its normalised form if it is new and long enough."""
        name = _normalise_handle(handle)
        if len(name) < MIN_HANDLE_CHARS or name.isdigit():
            return None
        if name in self._plain or name in self._spaced:
            return None
        alias = pseudonym(name, self.key)
        self._pseudonyms.add(alias)
        self._checked.pop(name, None)
        self._hits.add(name)
        if _PLAIN_HANDLE.fullmatch(name):
            self._plain[name] = alias
        else:
            self._spaced[name] = alias
            self._spaced_pattern = None
        return name

    def handle(self, word: str) -> str | None:
        """The pseudonym of ``word`` if it is a known handle, else None."""
        return self._plain.get(word.casefold()) or self._study_handle(word)

    def replace(self, text: str) -> str:
        """``text`` with every known handle replaced by its pseudonym."""
        if self._spaced:
            text = self._spaced_regex().sub(lambda m: self._spaced[m[0].casefold()], text)
        if (self._plain or self._pseudonyms) and self._mentions_one(text):
            text = _TOKEN.sub(self._token, text)
        return text

    def _mentions_one(self, text: str) -> bool:
        """Whether any word of ``text`` is a handle (set operations; most texts have none)."""
        words = handle_tokens(text)
        checked = self._checked
        for word in [word for word in words if word not in checked]:
            self._study_handle(word)
        return not words.isdisjoint(self._hits)

    __call__ = replace

    def _token(self, match: re.Match[str]) -> str:
        token = match[0]
        found = self.handle(token)
        if found is not None:
            return found
        if "." not in token and "-" not in token:
            return token
        parts = _TOKEN_PARTS.split(token)
        if not any(self.handle(part) for part in parts if part):
            return token
        return re.sub(r"[^.-]+", lambda m: self.handle(m[0]) or m[0], token)

    def _spaced_regex(self) -> re.Pattern[str]:
        if self._spaced_pattern is None:
            names = sorted(self._spaced, key=len, reverse=True)
            alternatives = "|".join(re.escape(name) for name in names)
            self._spaced_pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._spaced_pattern


class NameMask(Protocol):
    """Masks person names in texts (the identity when masking is turned off)."""

    def __call__(self, text: str) -> str: ...

    def mask_many(self, texts: Iterable[str]) -> list[str]: ...


class _NoNames:
    def __call__(self, text: str) -> str:
        return text

    def mask_many(self, texts: Iterable[str]) -> list[str]:
        return list(texts)


def person_name_masker(enabled: bool = True, keep: Iterable[str] = ()) -> NameMask:
    """The person-name masker of a study (setting ``mask_person_names``).

    ``keep`` adds the study's own tool names to the words never masked. When enabled,
    the model must be installed with its verified files, else an error says what to do.
    """
    if not enabled:
        return _NoNames()
    from earwitness._person_names import load_person_names

    return load_person_names(keep)


def study_name_masker(study: Study, store: Store | None = None) -> NameMask:
    """The masker a study's importers use: its setting, its services and gazetteer kept."""
    keep = study_kept_words(study, store)
    return _NoNames() if keep is None else person_name_masker(True, keep)


def study_kept_words(study: Study, store: Store | None = None) -> list[str] | None:
    """The words a study's name masker keeps (its gazetteer and services), or None when
    the study does not mask person names: what a worker needs to build the same masker."""
    if not study.setting("mask_person_names"):
        return None
    gazetteer = study.setting("gazetteer") or {}
    keep = [str(tool) for tool in gazetteer]
    keep += [str(alias) for aliases in gazetteer.values() for alias in aliases]
    if store is not None:
        from earwitness.services import ServiceIndex

        keep += [
            alias
            for tool, aliases in ServiceIndex.load(store).gazetteer().items()
            for alias in (tool, *aliases)
        ]
    return keep


_SECRET_HEADERS = {"authorization", "proxy_authorization", "cookie", "set_cookie"}
_SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "session",
    "auth",
    "cookie",
)


def _is_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return lowered in _SECRET_HEADERS or any(word in lowered for word in _SECRET_WORDS)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for an archive: credentials, cookies and tokens removed."""
    return {name: value for name, value in headers.items() if not _is_secret_name(name)}


def redact_url(url: str) -> str:
    """A URL without user:password and without query parameters that carry secrets."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_secret_name(k)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
