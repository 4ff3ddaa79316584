"""What an HTML forum engine looks like: where posts, authors, times, quotes and links are.

Each engine version is described once, by CSS selectors on its public templates, in
``_phpbb.py``, ``_vbulletin.py`` and ``_xenforo.py``; this module reads a page with such a
description. Times are read from machine-readable attributes when the template has them
(``<time datetime>``, XenForo's ``data-time``), else from the displayed text, which is in
the board's time zone: those are stored as if UTC and flagged ``time_from_display``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from earwitness.collect._htmltext import node_text, post_text

__all__ = ["Engine", "ForumPage", "ParsedPost", "parse_time"]


@dataclass(frozen=True)
class ParsedPost:
    post_id: str
    author: str | None
    text: str
    quoted: str | None
    authored_at: datetime | None
    flair: str | None
    time_from_display: bool = False


@dataclass
class ForumPage:
    """One parsed page: the posts of a thread page, or the threads of a listing page."""

    engine: str
    posts: list[ParsedPost]
    thread_urls: list[str]
    next_url: str | None
    title: str | None
    thread_id: str | None


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
    extra_next: Sequence[str] = field(default=("link[rel=next]", "a[rel=next]"))

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def parse(self, html: str, url: str) -> ForumPage:
        tree = LexborHTMLParser(html)
        base = tree.css_first("base[href]")
        links_from = urljoin(url, base.attributes.get("href") or "") if base is not None else url
        posts = [p for p in (self._post(node) for node in tree.css(self.post)) if p is not None]
        links = [] if posts else self._thread_links(tree, links_from)
        return ForumPage(
            engine=self.name,
            posts=posts,
            thread_urls=links,
            next_url=self._next(tree, links_from),
            title=self._first_text(tree.root, self.title) if posts and tree.root else None,
            thread_id=self.thread_id(url) if posts else None,
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
        return None

    # --- one post ----------------------------------------------------------------------

    def _post(self, node: LexborNode) -> ParsedPost | None:
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
        authored_at, from_display = self._time(node)
        return ParsedPost(
            post_id=found.group(1),
            author=self._first_text(node, self.author),
            text=split.text,
            quoted=split.quoted,
            authored_at=authored_at,
            flair=self._first_text(node, self.flair),
            time_from_display=from_display,
        )

    def _time(self, node: LexborNode) -> tuple[datetime | None, bool]:
        for found in (match for selector in self.time for match in node.css(selector)):
            attributes = found.attributes
            for name in ("datetime", "data-time"):
                value = attributes.get(name)
                if value:
                    parsed = parse_time(value)
                    if parsed is not None:
                        return parsed, False
            for value in (attributes.get("title"), node_text(found)):
                parsed = parse_time(value or "")
                if parsed is not None:
                    return parsed, True
        return None, False

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


_DISPLAY_FORMATS = (
    "%a %b %d, %Y %I:%M %p",  # phpBB 3.0: Fri Mar 01, 2013 10:00 am
    "%a %b %d, %Y %H:%M",
    "%m-%d-%Y, %I:%M %p",  # vBulletin: 03-01-2013, 10:00 AM
    "%m-%d-%Y %I:%M %p",
    "%b %d, %Y at %I:%M %p",  # XenForo 1: Mar 1, 2014 at 10:00 AM
    "%b %d, %Y",
)


def parse_time(value: str) -> datetime | None:
    """A timestamp from ISO 8601, Unix seconds, or one of the engines' display formats."""
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
    for fmt in _DISPLAY_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    tail = re.search(r"([A-Z][a-z]{2} [A-Z][a-z]{2} \d{2}, \d{4} \d{1,2}:\d{2}(?: [ap]m)?)$", value)
    if tail and tail.group(1) != value:
        return parse_time(tail.group(1))
    return None
