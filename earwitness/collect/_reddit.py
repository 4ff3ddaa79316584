"""Reddit through PRAW, read-only, resumable and polite.

Credentials and endpoints come only from PRAW's own configuration (a praw.ini site,
or the ``praw_*`` environment variables); nothing here reads or prints them. PRAW runs
on a :class:`ArchivingSession`, a ``requests.Session`` that hands every real HTTP
response to the raw archive (headers redacted, the access-token exchange never kept).

prawcore's rate limiter paces requests from Reddit's ``x-ratelimit-*`` headers; this
module never defeats it. On 429 it waits ``Retry-After`` (else an exponential
back-off), on 5xx, timeouts and malformed bodies it backs off exponentially, and gives
up with one clear line after :data:`MAX_ATTEMPTS` tries; the cursor lets a later run
continue.

Reddit serves at most about 1,000 items per listing, so a collection takes the union
of several listings and of one search per subreddit and query, and records for each
(subreddit, listing, query) whether it reached that cap.

Cursor per (subreddit, listing, query, time filter): the listing's ``after`` token,
the threads of the current page whose comments are still to fetch, the newest creation
time seen and the ids already written. Comment ids are not monotonic, so the cursor
never relies on "id greater than".
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import requests

from earwitness import __version__
from earwitness.collect._items import CollectedItem, ItemWriter, RawResponse, RunSummary
from earwitness.errors import BadInputError, EarwitnessError

if TYPE_CHECKING:
    import praw

    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "LISTINGS",
    "TIME_FILTERS",
    "ArchivingSession",
    "RedditCollector",
    "RedditQuery",
    "parse_thread_id",
]

LISTINGS = ("new", "hot", "top", "controversial", "search")
TIME_FILTERS = ("all", "year", "month", "week")
LISTING_CAP = 1000
CAP_MARGIN = 50  # Reddit stops a little short of 1,000 when items were removed
MAX_ATTEMPTS = 5
MAX_BACKOFF_S = 120.0
PAGE_SIZE = 100
SOURCE = "reddit"
T = TypeVar("T")

_THREAD_URL = re.compile(r"/comments/([a-z0-9]+)", re.IGNORECASE)
_THREAD_ID = re.compile(r"^(?:t3_)?([a-z0-9]{3,12})$", re.IGNORECASE)


def parse_thread_id(value: str) -> str:
    """The base-36 id of a thread given as an id, a ``t3_`` fullname or a URL."""
    value = value.strip()
    if found := _THREAD_URL.search(value):
        return found.group(1).lower()
    if found := _THREAD_ID.match(value):
        return found.group(1).lower()
    raise BadInputError(f"not a Reddit thread id or URL: {value!r}", field="--thread")


class ArchivingSession(requests.Session):
    """A requests session that keeps each real response for the raw archive."""

    def __init__(self, *, timeout_s: float = 16.0) -> None:
        super().__init__()
        self.pending: list[RawResponse] = []
        self.requests = 0
        self.timeout_s = timeout_s

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = min(float(kwargs.get("timeout") or self.timeout_s), self.timeout_s)
        response = super().request(method, url, *args, **kwargs)
        self.requests += 1
        if "/api/v1/access_token" not in str(url):  # its body is a credential
            self.pending.append(
                RawResponse(
                    url=response.url,
                    status=response.status_code,
                    headers=dict(response.headers),
                    body=response.content,
                )
            )
        return response

    def drain(self) -> list[RawResponse]:
        drained, self.pending = self.pending, []
        return drained


class _SleepLog(logging.Handler):
    """Adds up the time prawcore's rate limiter sleeps ("Sleeping: 1.23 seconds ...")."""

    _PATTERN = re.compile(r"Sleeping: ([0-9.]+) seconds")

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(logging.DEBUG)
        self.summary = summary

    def emit(self, record: logging.LogRecord) -> None:
        if found := self._PATTERN.search(record.getMessage()):
            self.summary.wait_s += float(found.group(1))


@dataclass(frozen=True)
class RedditQuery:
    """One listing to walk: a subreddit's listing, or a search in it."""

    subreddit: str
    listing: str
    query: str | None = None
    time_filter: str = "all"

    @property
    def key(self) -> str:
        return f"r/{self.subreddit.lower()}|{self.listing}|{self.query or ''}|{self.time_filter}"

    @property
    def label(self) -> str:
        text = f"r/{self.subreddit} {self.listing}"
        return f"{text} {self.query!r}" if self.query else text

    def path_and_params(self) -> tuple[str, dict[str, str]]:
        params: dict[str, str] = {"limit": str(PAGE_SIZE)}
        if self.listing == "search":
            params.update(q=self.query or "", restrict_sr="on", sort="new", t=self.time_filter)
        elif self.listing in ("top", "controversial"):
            params["t"] = self.time_filter
        return f"r/{self.subreddit}/{self.listing}", params


def _time(value: Any) -> datetime | None:
    if value is None or value is False or value is True:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _author(data: Mapping[str, Any]) -> str | None:
    author = data.get("author")
    return None if author is None else str(author)


def _score(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def thing_to_item(thing: Any) -> CollectedItem | None:
    """A PRAW Submission or Comment as a collected item (None for anything else).

    Reads the attributes PRAW already holds (``vars``), so no lazy fetch is triggered.
    """
    data = vars(thing)
    kind = type(thing).__name__
    permalink = data.get("permalink")
    url = f"https://www.reddit.com{permalink}" if permalink else None
    subreddit = data.get("subreddit")
    extra = {"subreddit": str(getattr(subreddit, "display_name", subreddit or ""))}
    common: dict[str, Any] = {
        "platform": "reddit",
        "author": _author(data),
        "url": url,
        "score": _score(data.get("score")),
        "authored_at": _time(data.get("created_utc")),
        "edited_at": _time(data.get("edited")),
        "flair": data.get("author_flair_text") or None,
        "extra": extra,
    }
    if kind == "Submission":
        native_id = f"t3_{data['id']}"
        if not data.get("is_self", True) and data.get("url"):
            extra["link_url"] = data["url"]
        extra["num_comments"] = data.get("num_comments")
        return CollectedItem(
            native_id=native_id,
            kind="submission",
            text=str(data.get("selftext") or ""),
            title=str(data.get("title") or ""),
            thread_native_id=native_id,
            **common,
        )
    if kind == "Comment":
        return CollectedItem(
            native_id=f"t1_{data['id']}",
            kind="comment",
            text=str(data.get("body") or ""),
            thread_native_id=data.get("link_id"),
            parent_native_id=data.get("parent_id"),
            **common,
        )
    return None


class RedditCollector:
    """Collects listings, searches and threads from Reddit into a study."""

    def __init__(
        self,
        study: Study,
        store: Store,
        *,
        comments: bool = True,
        more_budget: int | None = None,
        summary: RunSummary | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_progress: Callable[[RunSummary], None] | None = None,
        timeout_s: float = 16.0,
    ) -> None:
        self.study = study
        self.store = store
        self.comments = comments
        self.more_budget = (
            int(study.setting("more_comments_budget")) if more_budget is None else more_budget
        )
        self.summary = summary if summary is not None else RunSummary()
        self.session = ArchivingSession(timeout_s=timeout_s)
        self._sleep = sleep
        self._on_progress = on_progress
        self._threads_done: set[str] = set()
        self.reddit = self._connect()

    def _connect(self) -> praw.Reddit:
        import praw
        from praw.exceptions import ClientException, MissingRequiredAttributeException

        site = str(self.study.setting("reddit_site") or "") or None
        contact = str(self.study.setting("contact") or "no contact set")
        options: dict[str, Any] = {
            "site_name": site,
            "requestor_kwargs": {"session": self.session},
            "check_for_updates": False,
        }
        try:
            try:
                reddit = praw.Reddit(**options)
            except MissingRequiredAttributeException as exc:
                if "user_agent" not in str(exc):
                    raise
                reddit = praw.Reddit(**options, user_agent=_user_agent(contact))
        except ClientException as exc:
            raise EarwitnessError(
                f"Reddit credentials are not configured ({_first_line(exc)}): add client_id "
                "and client_secret to a praw.ini site (setting reddit_site) or set "
                "praw_client_id and praw_client_secret"
            ) from None
        except (KeyError, ValueError, OSError) as exc:  # unknown site, unreadable praw.ini
            raise EarwitnessError(f"cannot read PRAW's configuration: {_first_line(exc)}") from None
        reddit.read_only = True
        return reddit

    # --- requests with back-off ------------------------------------------------------

    def _call(self, what: str, function: Callable[[], T]) -> T:
        import prawcore

        delay = 1.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = function()
            except prawcore.exceptions.TooManyRequests as exc:
                wait = _retry_after(exc.response) or delay
            except (
                prawcore.exceptions.ServerError,
                prawcore.exceptions.RequestException,
                prawcore.exceptions.BadJSON,
                prawcore.exceptions.ResponseException,
                UnexpectedResponse,
            ) as exc:
                status = getattr(getattr(exc, "response", None), "status_code", 0)
                refused = isinstance(exc, prawcore.exceptions.ResponseException) and not isinstance(
                    exc, prawcore.exceptions.BadJSON
                )
                if refused and status < 500:
                    raise EarwitnessError(f"Reddit refused {what}: HTTP {status}") from None
                wait = delay
                if attempt == MAX_ATTEMPTS:
                    raise EarwitnessError(
                        f"Reddit kept failing for {what} ({_first_line(exc)}) after "
                        f"{MAX_ATTEMPTS} attempts; run the command again to resume"
                    ) from None
            else:
                self.summary.requests = self.session.requests
                return result
            self.session.drain()  # a failed page is fetched again; keep what is written
            self.summary.wait_s += wait
            self._sleep(wait)
            delay = min(delay * 2, MAX_BACKOFF_S)
        raise EarwitnessError(f"Reddit kept refusing {what} with 429 Too Many Requests")

    def _progress(self) -> None:
        self.summary.requests = self.session.requests
        if self._on_progress is not None:
            self._on_progress(self.summary)

    # --- listings ---------------------------------------------------------------------

    def collect_listing(self, query: RedditQuery, *, max_items: int | None = None) -> None:
        """Walk one listing page by page (with each thread's comments) from its cursor."""
        writer = ItemWriter(
            self.study,
            self.store,
            source=SOURCE,
            query_key=query.key,
            query=query.label,
            summary=self.summary,
        )
        if writer.is_done():
            writer.reset_pass(keep=("since_utc",))
        state = writer.resume_state()
        state.setdefault("after", None)
        state.setdefault("count", 0)
        state.setdefault("threads", [])
        since = state.get("since_utc")
        taken = 0
        path, params = query.path_and_params()
        while True:
            self._collect_threads(writer, state)
            if state.get("finished"):
                break
            if max_items is not None and taken >= max_items:
                return
            page_params = {**params, **({"after": state["after"]} if state["after"] else {})}
            listing = self._call(query.label, _getter(self.reddit, path, page_params))
            things = list(getattr(listing, "children", []) or [])
            items = [i for i in map(thing_to_item, things) if i is not None]
            fresh = [i for i in items if not writer.seen(i.native_id)]
            self.summary.skipped_seen += len(items) - len(fresh)
            if max_items is not None:
                fresh = fresh[: max(max_items - taken, 0)]
            taken += len(fresh)
            state["count"] += len(items)
            state["after"] = getattr(listing, "after", None)
            newest = [i.authored_at.timestamp() for i in items if i.authored_at]
            state["newest_utc"] = max([state.get("newest_utc") or 0, *newest]) or None
            reached_known = (
                query.listing in ("new", "search") and since and newest and max(newest) < since
            )
            state["finished"] = not state["after"] or not things or bool(reached_known)
            if state["finished"] and state["count"] >= LISTING_CAP - CAP_MARGIN:
                state["capped"] = True
            state["threads"] = [
                i.native_id
                for i in fresh
                if self.comments
                and i.kind == "submission"
                and i.native_id not in self._threads_done
            ]
            writer.write_page(fresh, responses=self.session.drain(), state=state)
            self._progress()
        if state.get("capped"):
            self.summary.capped.append(query.label)
        writer.write_page([], state={**state, "since_utc": state.get("newest_utc")}, done=True)

    def _collect_threads(self, writer: ItemWriter, state: dict[str, Any]) -> None:
        while state["threads"]:
            thread_id = state["threads"][0]
            comments = self._thread_comments(thread_id.removeprefix("t3_"))
            state["threads"] = state["threads"][1:]
            writer.write_page(comments, responses=self.session.drain(), state=state)
            self._threads_done.add(thread_id)
            self._progress()

    def _thread_comments(self, thread_id: str) -> list[CollectedItem]:
        def fetch() -> list[Any]:
            submission = self.reddit.submission(id=thread_id)
            forest = submission.comments
            forest.replace_more(limit=self.more_budget)
            return [submission, *forest.list()]

        things = self._call(f"thread {thread_id}", fetch)
        items = [i for i in map(thing_to_item, things[1:]) if i is not None]
        return items

    # --- single threads ---------------------------------------------------------------

    def collect_thread(self, value: str) -> None:
        """Collect one thread (the submission and its comments) as one page."""
        thread_id = parse_thread_id(value)
        writer = ItemWriter(
            self.study,
            self.store,
            source=SOURCE,
            query_key=f"thread:{thread_id}",
            query=f"thread {thread_id}",
            summary=self.summary,
        )

        def fetch() -> list[Any]:
            submission = self.reddit.submission(id=thread_id)
            submission._fetch()
            if not self.comments:
                return [submission]
            submission.comments.replace_more(limit=self.more_budget)
            return [submission, *submission.comments.list()]

        things = self._call(f"thread {thread_id}", fetch)
        items = [i for i in map(thing_to_item, things) if i is not None]
        writer.write_page(
            items, responses=self.session.drain(), state={"thread": thread_id}, done=True
        )
        self._threads_done.add(f"t3_{thread_id}")
        self._progress()

    def run(self, queries: Sequence[RedditQuery], *, max_items: int | None = None) -> RunSummary:
        handler = _SleepLog(self.summary)
        logger = logging.getLogger("prawcore")
        previous = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            for query in queries:
                self.collect_listing(query, max_items=max_items)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)
        return self.summary


def build_queries(
    subreddits: Sequence[str],
    listings: Sequence[str],
    queries: Sequence[str],
    time_filter: str,
) -> Iterator[RedditQuery]:
    """Every (subreddit, listing[, query]) to walk: listings, then one search per query."""
    for subreddit in subreddits:
        name = subreddit.strip().removeprefix("/").removeprefix("r/").strip("/")
        if not re.fullmatch(r"[A-Za-z0-9_]{2,21}", name):
            raise BadInputError(f"not a subreddit name: {subreddit!r}", field="--subreddit")
        for listing in listings:
            if listing == "search":
                for text in queries:
                    yield RedditQuery(name, "search", text, time_filter)
            else:
                yield RedditQuery(name, listing, None, time_filter)


class UnexpectedResponse(Exception):
    """Reddit answered with JSON of an unexpected shape (retried like malformed JSON)."""


def _getter(reddit: praw.Reddit, path: str, params: dict[str, str]) -> Callable[[], Any]:
    from praw.models import Listing

    def get() -> Any:
        listing = reddit.get(path, params=dict[str, str | int](params))
        if not isinstance(listing, Listing):
            raise UnexpectedResponse(
                f"expected a listing from {path}, got {type(listing).__name__}"
            )
        return listing

    return get


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _user_agent(contact: str) -> str:
    return f"python:earwitness:{__version__} (academic research; contact {contact})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
