"""Collecting an HTML forum: a thread, or every thread of a forum listing, page by page.

Each thread page is one :class:`ItemWriter` page: its posts and the cursor (the listing
page, the threads of it already finished, the next page of the current thread) commit
together, so an interrupted collection resumes at the page it stopped at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from earwitness.collect._forums._dates import BoardDates
from earwitness.collect._forums._detect import ENGINES, detect_engine
from earwitness.collect._forums._engine import Engine, ForumPage, page_from_url
from earwitness.collect._http import MalformedResponseError, PoliteClient
from earwitness.collect._items import CollectedItem, ItemWriter, RunSummary
from earwitness.progress import ProgressReporter

__all__ = ["ForumQuery", "collect_forum", "page_items"]

MAX_THREAD_PAGES = 10_000


@dataclass(frozen=True)
class ForumQuery:
    """A thread or forum listing URL, and how much of it to read."""

    start_url: str
    engine: str | None = None  # a key of ENGINES; None detects it from the first page
    max_pages: int | None = None  # listing pages
    max_threads: int | None = None  # per run; the next run continues after them
    date_order: str | None = None  # MDY, DMY or YMD for numeric dates; None assumes MDY
    timezone: str | None = None  # the board's IANA time zone for displayed dates

    @property
    def host(self) -> str:
        return urlsplit(self.start_url).netloc

    @property
    def key(self) -> str:
        return self.start_url


def is_first_page(page: ForumPage, url: str) -> bool:
    """Whether a thread page is the thread's first (so its first post opens the thread)."""
    number = page.page_number or page_from_url(url)
    if number is not None:
        return number == 1
    query = urlsplit(url).query
    return not any(part.startswith(("start=", "page=")) for part in query.split("&"))


def page_items(
    page: ForumPage, engine: Engine, *, host: str, url: str, first: bool
) -> list[CollectedItem]:
    """The collected items of one thread page; ``first`` marks the thread's first page."""
    thread = f"{host}:t{page.thread_id}" if page.thread_id else None
    items = []
    for index, post in enumerate(page.posts):
        opening = first and index == 0
        items.append(
            CollectedItem(
                platform=engine.name,
                native_id=f"{host}:p{post.post_id}",
                kind="topic" if opening else "post",
                text=post.text,
                author=post.author,
                thread_native_id=thread,
                title=page.title if opening else None,
                quoted=post.quoted,
                url=url,
                authored_at=post.authored_at,
                flair=post.flair,
                extra={
                    "engine": engine.label,
                    **({"time_from_display": True} if post.time_from_display else {}),
                    **({"date_ambiguous": True} if post.date_ambiguous else {}),
                },
            )
        )
    return items


class _Run:
    def __init__(
        self,
        client: PoliteClient,
        writer: ItemWriter,
        query: ForumQuery,
        reporter: ProgressReporter | None,
    ) -> None:
        self.client, self.writer, self.query, self.reporter = client, writer, query, reporter
        self.engine: Engine | None = ENGINES[query.engine] if query.engine else None
        self.dates = BoardDates(order=query.date_order, timezone=query.timezone)
        state = writer.resume_state()
        self.listing_url: str = state.get("listing_url") or query.start_url
        self.listing_pages: int = int(state.get("listing_pages", 0))
        self.done_on_page: list[str] = list(state.get("done_on_page", []))
        self.thread: str | None = state.get("thread")
        self.thread_next: str | None = state.get("thread_next")
        self.threads_this_run = 0

    def fetch(self, url: str) -> ForumPage:
        html = self.client.get_html(url)
        if self.engine is None:
            self.engine = detect_engine(html, url)
        return self.engine.parse(html, url, self.dates)

    def save(self, items: list[CollectedItem], *, done: bool = False) -> None:
        state: dict[str, Any] = {
            "listing_url": self.listing_url,
            "listing_pages": self.listing_pages,
            "done_on_page": self.done_on_page,
            "thread": self.thread,
            "thread_next": self.thread_next,
        }
        self.writer.write_page(items, responses=self.client.drain(), state=state, done=done)
        if self.reporter is not None:
            stats = self.client.stats
            self.reporter.advance(len(items), requests=stats.requests, wait=f"{stats.wait_s:.0f} s")

    def thread_pages(self, thread_url: str, first_page: ForumPage | None = None) -> None:
        """Collect a thread from its next unread page to its last."""
        resuming = self.thread == thread_url and self.thread_next is not None
        url: str | None = self.thread_next if resuming else thread_url
        self.thread = thread_url
        seen: set[str] = set()
        while url is not None:
            seen.add(url)
            page = first_page if (first_page is not None and url == thread_url) else self.fetch(url)
            first_page = None
            if not page.posts:
                raise MalformedResponseError(
                    url, f"no {self._label()} posts found in the thread page"
                )
            assert self.engine is not None
            first = is_first_page(page, url)
            items = page_items(page, self.engine, host=self.query.host, url=url, first=first)
            self._count_dates(page)
            self.thread_next = page.next_url
            url = page.next_url
            if url is not None and (url in seen or len(seen) >= MAX_THREAD_PAGES):
                url = None  # a loop or the page limit: the thread ends here
            if url is None:
                self._check_last_page(thread_url, page)
                self.done_on_page.append(thread_url)
                self.thread = None
            self.save(items)

    def _count_dates(self, page: ForumPage) -> None:
        summary = self.writer.summary
        summary.undated += sum(1 for post in page.posts if post.authored_at is None)
        summary.ambiguous_dates += sum(1 for post in page.posts if post.date_ambiguous)

    def _check_last_page(self, thread_url: str, page: ForumPage) -> None:
        """Warn when the last page read says more pages follow ("Page 3 of 10")."""
        if page.page_number is None or page.page_count is None:
            return
        missed = page.page_count - page.page_number
        if missed > 0:
            self.writer.summary.pages_missed += missed
            self.writer.summary.warn(
                f"{thread_url}: stopped at page {page.page_number} of {page.page_count}; "
                f"{missed} page(s) not collected"
            )

    def _label(self) -> str:
        return self.engine.label if self.engine else "forum"

    def run(self) -> None:
        if self.thread == self.query.start_url and self.thread_next is not None:
            # a thread start URL cut short: its first page is stored, go on where it stopped
            self.thread_pages(self.query.start_url)
            self.save([], done=True)
            return
        page = self.fetch(self.listing_url)
        if page.posts:  # the start URL is a thread
            if self.query.start_url not in self.done_on_page:
                self.thread_pages(self.query.start_url, page if self.thread_next is None else None)
            self.save([], done=True)
            return
        while True:
            if self.thread is not None and self.thread not in self.done_on_page:
                self.thread_pages(self.thread)  # finish the thread an interruption cut short
            for thread_url in page.thread_urls:
                if thread_url in self.done_on_page:
                    self.writer.summary.skipped_seen += 1
                    continue
                if (
                    self.query.max_threads is not None
                    and self.threads_this_run >= self.query.max_threads
                ):
                    return  # the cursor stays here; the next run goes on
                self.threads_this_run += 1
                self.thread_pages(thread_url)
            self.listing_pages += 1
            limit_reached = (
                self.query.max_pages is not None and self.listing_pages >= self.query.max_pages
            )
            if page.next_url is None or limit_reached:
                self.save([], done=True)
                return
            self.listing_url, self.done_on_page = page.next_url, []
            self.save([])
            page = self.fetch(self.listing_url)
            if page.posts:
                raise MalformedResponseError(
                    self.listing_url, "expected a forum listing, found a thread"
                )


def collect_forum(
    client: PoliteClient,
    writer: ItemWriter,
    query: ForumQuery,
    *,
    reporter: ProgressReporter | None = None,
) -> RunSummary:
    """Collect a thread or a forum listing; resumable through the writer's cursor."""
    if writer.is_done():
        writer.reset()  # collected before: read it again and update in place
    requests, wait = client.stats.requests, client.stats.wait_s
    _Run(client, writer, query, reporter).run()
    summary = writer.summary
    summary.requests += client.stats.requests - requests
    summary.wait_s += client.stats.wait_s - wait
    return summary
