"""What an HTML forum engine looks like: where posts, authors, times, quotes and links are.

Each engine version is described once, by CSS selectors on its public templates, in
``_phpbb.py``, ``_vbulletin.py`` and ``_xenforo.py``; this module reads a page with such a
description. Times are read from machine-readable attributes when the template has them
(``<time datetime>``, XenForo's ``data-time``), else from the displayed text
(``_dates.py``), which is in the board's time zone: converted to UTC when the board's time
zone is known, else stored as if UTC; either way flagged ``time_from_display``.

Pages are followed by the engine's "Next" link, else by the numbered page link after the
current page (phpBB 3.0 prints only numbers); "Page X of N" is read where the engine
prints it, so pages left unvisited can be reported. Thread ids come from the query
(``t=5``) or from search-engine-friendly paths (``showthread.php/9687-title``,
``/threads/slug.9687/``, ``/9687-title.html``, ``-t9687.html``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from earwitness.collect._forums._dates import BoardDates, read_display_date
from earwitness.collect._htmltext import node_text, post_text

__all__ = ["Engine", "ForumPage", "ParsedPost", "page_from_url", "parse_time", "seo_thread_id"]

# Search-engine-friendly thread paths of vBulletin 3/4/5 (with and without vBSEO),
# XenForo 1/2 and phpBB SEO mods, tried after an engine's own query parameter.
_SEO_THREAD_IDS = (
    re.compile(r"showthread\.php/(\d+)(?:-|/|$)"),  # vBulletin 4 friendly URLs
    re.compile(r"/threads/(?:[^/]*\.)?(\d+)(?:/|$)"),  # XenForo 1/2
    re.compile(r"/threads/(\d+)(?:-|/|$)"),  # vBulletin 4/5 with rewrites
    re.compile(r"/(\d+)-[^/]*?(?:-\d+)?\.html$"),  # vBSEO: /forum/9687-title.html
    re.compile(r"(?:-t|/topic)(\d+)(?:-\d+)?\.html$"),  # phpBB SEO
    re.compile(r"/(\d+)-[^/]*(?:/page-?\d+)?/?$"),  # vBulletin 5: /forum/9687-title
)
_SEO_QUERY_ID = re.compile(r"^(\d+)-")  # vBulletin 4 "advanced friendly": ?9687-title
_PAGE_IN_URL = (
    re.compile(r"(?:^|[?&])page=(\d+)"),
    re.compile(r"/page-?(\d+)/?$"),
)
_PAGE_OF = re.compile(r"\bPage\s+(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
_PAGE_OF_SHORT = re.compile(r"^\s*(\d+)\s+of\s+(\d+)\s*$")
_PAGE_INFO = (
    "div.pagination",  # phpBB prosilver, vBulletin 4 (form.pagination)
    "form.pagination",
    "td.vbmenu_control",  # vBulletin 3 "Page 1 of 3"
    "div.pagenav",
    "td.nav",  # phpBB subsilver2
    "span.pageNavHeader",  # XenForo 1
    ".pageNavSimple-el--current",  # XenForo 2 "1 of 3"
    ".pagenav",
    "li.pagenav-position",
)


def seo_thread_id(url: str) -> str | None:
    """A thread id from a search-engine-friendly URL of any engine, or None."""
    parts = urlsplit(url)
    if found := _SEO_QUERY_ID.match(parts.query):
        return found.group(1)
    for pattern in _SEO_THREAD_IDS:
        if found := pattern.search(parts.path):
            return found.group(1)
    return None


def page_from_url(url: str) -> int | None:
    """The page number a thread URL names (``page=3``, ``/page3``, ``/page-3``), if any."""
    parts = urlsplit(url)
    for pattern, text in zip(_PAGE_IN_URL, (parts.query, parts.path), strict=True):
        if found := pattern.search(text):
            return int(found.group(1))
    return None


@dataclass(frozen=True)
class ParsedPost:
    post_id: str
    author: str | None
    text: str
    quoted: str | None
    authored_at: datetime | None
    flair: str | None
    time_from_display: bool = False
    date_ambiguous: bool = False


@dataclass
class ForumPage:
    """One parsed page: the posts of a thread page, or the threads of a listing page."""

    engine: str
    posts: list[ParsedPost]
    thread_urls: list[str]
    next_url: str | None
    title: str | None
    thread_id: str | None
    page_number: int | None = None  # "Page X of N", as printed
    page_count: int | None = None


@dataclass(frozen=True)
class Engine:
    """One engine version, described by selectors on its templates."""

    name: str  # platform name stored with each document: phpbb, vbulletin, xenforo
    version: str
    post: str
    post_id_attr: str
    post_id_pattern: str
    author: Sequence[str]
    content: str
    time: Sequence[str]
    flair: Sequence[str] = ()
    quotes: Sequence[str] = ()
    drop: Sequence[str] = ()
    drop_if_text: Sequence[tuple[str, str]] = ()
    thread_links: Sequence[str] = ()
    next_links: Sequence[str] = ()
    next_text: str | None = None
    title: Sequence[str] = ()
    thread_id_param: str | None = None
    thread_id_path: str | None = None
    page_links: Sequence[str] = ()  # containers of the numbered page links
    extra_next: Sequence[str] = field(default=("link[rel=next]", "a[rel=next]"))

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def parse(self, html: str, url: str, dates: BoardDates | None = None) -> ForumPage:
        tree = LexborHTMLParser(html)
        base = tree.css_first("base[href]")
        links_from = urljoin(url, base.attributes.get("href") or "") if base is not None else url
        board = dates or BoardDates()
        nodes = tree.css(self.post)
        posts = [p for p in (self._post(node, board) for node in nodes) if p is not None]
        links = [] if posts else self._thread_links(tree, links_from)
        page_number, page_count = _page_of(tree)
        next_url = self._next(tree, links_from)
        if next_url is None:
            current = page_number or page_from_url(url) or 1
            next_url = self._numbered_next(tree, links_from, current, url, listing=not posts)
        return ForumPage(
            engine=self.name,
            posts=posts,
            thread_urls=links,
            next_url=next_url,
            title=self._first_text(tree.root, self.title) if posts and tree.root else None,
            thread_id=self.thread_id(url) if posts else None,
            page_number=page_number,
            page_count=page_count,
        )

    def thread_id(self, url: str) -> str | None:
        parts = urlsplit(url)
        if self.thread_id_param:
            values = parse_qs(parts.query).get(self.thread_id_param)
            if values:
                return values[0]
        if self.thread_id_path:
            found = re.search(self.thread_id_path, parts.path)
            if found:
                return found.group(1)
        return seo_thread_id(url)

    # --- one post ----------------------------------------------------------------------

    def _post(self, node: LexborNode, board: BoardDates) -> ParsedPost | None:
        raw_id = node.attributes.get(self.post_id_attr) or ""
        found = re.fullmatch(self.post_id_pattern, raw_id)
        content = node.css_first(self.content)
        if found is None or content is None:
            return None
        for selector, pattern in self.drop_if_text:
            for dropped in content.css(selector):
                if re.search(pattern, dropped.text() or ""):
                    dropped.decompose()
        split = post_text(
            content.inner_html or "", quote_selectors=self.quotes, drop_selectors=self.drop
        )
        authored_at, from_display, ambiguous = self._time(node, board)
        return ParsedPost(
            post_id=found.group(1),
            author=self._first_text(node, self.author),
            text=split.text,
            quoted=split.quoted,
            authored_at=authored_at,
            flair=self._first_text(node, self.flair),
            time_from_display=from_display,
            date_ambiguous=ambiguous,
        )

    def _time(self, node: LexborNode, board: BoardDates) -> tuple[datetime | None, bool, bool]:
        """The post's time, whether it came from displayed text, and whether it was ambiguous."""
        for found in (match for selector in self.time for match in node.css(selector)):
            attributes = found.attributes
            for name in ("datetime", "data-time"):
                value = attributes.get(name)
                if value:
                    parsed = parse_time(value)
                    if parsed is not None:
                        return parsed, False, False
            for value in (attributes.get("title"), _own_date_text(found)):
                reading = read_display_date(value or "", board)
                if reading is not None:
                    return reading.when, True, reading.ambiguous
        return None, False, False

    @staticmethod
    def _first_text(node: LexborNode, selectors: Sequence[str]) -> str | None:
        for selector in selectors:
            found = node.css_first(selector)
            if found is not None:
                text = node_text(found)
                if text:
                    return text
        return None

    # --- links ---------------------------------------------------------------------------

    def _thread_links(self, tree: LexborHTMLParser, url: str) -> list[str]:
        links: list[str] = []
        for selector in self.thread_links:
            for anchor in tree.css(selector):
                href = anchor.attributes.get("href")
                if href and not href.startswith(("javascript:", "#")):
                    links.append(urljoin(url, href))
        return list(dict.fromkeys(links))

    def _next(self, tree: LexborHTMLParser, url: str) -> str | None:
        for selector in (*self.extra_next, *self.next_links):
            for anchor in tree.css(selector):
                href = anchor.attributes.get("href")
                if not href or href.startswith(("javascript:", "#")):
                    continue
                label = anchor.text() or ""
                needs_label = self.next_text and selector in self.next_links
                if needs_label and not re.search(self.next_text or "", label, re.IGNORECASE):
                    continue
                return urljoin(url, href)
        return None

    def _numbered_next(
        self, tree: LexborHTMLParser, base: str, current: int, url: str, *, listing: bool
    ) -> str | None:
        """The link numbered ``current + 1`` to a page of the same thread or listing.

        On a listing, the small page links of each thread row ("1, 2, 3") lead to
        thread pages: a listing's next page is on the same path and names no thread.
        """
        wanted = str(current + 1)
        thread = self.thread_id(url)
        selectors = (*self.page_links, *_PAGE_INFO)
        anchors = [a for selector in selectors for a in tree.css(f"{selector} a[href]")]
        for anchor in anchors:
            href = anchor.attributes.get("href") or ""
            if (anchor.text() or "").strip() != wanted or href.startswith(("javascript:", "#")):
                continue
            target = urljoin(base, href)
            if listing:
                same_path = urlsplit(target).path == urlsplit(url).path
                if same_path and self.thread_id(target) is None:
                    return target
            elif thread is None or self.thread_id(target) == thread:
                return target
        return None


def _page_of(tree: LexborHTMLParser) -> tuple[int | None, int | None]:
    """ "Page X of N" where the engine prints it (never from the posts' own text)."""
    for selector in _PAGE_INFO:
        for node in tree.css(selector):
            text = " ".join((node.text() or "").split())
            found = _PAGE_OF.search(text) or _PAGE_OF_SHORT.match(text)
            if found:
                return int(found.group(1)), int(found.group(2))
    return None, None


def _own_date_text(node: LexborNode) -> str:
    """A date element's text; for phpBB 3.0's ``p.author``, what follows the name."""
    text = node_text(node)
    return text.rsplit("»", 1)[-1] if "»" in text else text


def parse_time(value: str) -> datetime | None:
    """A timestamp from ISO 8601 or Unix seconds (machine-readable attributes)."""
    value = " ".join(value.replace("\u00a0", " ").split()).strip(" »,")
    if not value:
        return None
    if value.isdigit() and len(value) >= 9:
        return datetime.fromtimestamp(int(value), UTC)
    try:
        parsed = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value))
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    reading = read_display_date(value)
    return reading.when if reading is not None else None
