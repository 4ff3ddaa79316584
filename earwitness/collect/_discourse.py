"""Discourse forums through their public JSON API.

Topics are listed from ``/latest.json?page=N``, a category (``/c/{category}.json?page=N``)
or a search (``/search.json?q=…&page=N``). Each topic is read with ``/t/{id}.json``,
which carries the first 20 posts and the ids of all of them (``post_stream.stream``);
the rest come 20 at a time from ``/t/{id}/posts.json?post_ids[]=…``.
(Discourse API documentation, https://docs.discourse.org/.)

One topic is one page for the :class:`ItemWriter`: its posts and the cursor (the
listing page being read) are committed together, and a topic already written under
the cursor is skipped on resume, so a killed collection resumes without gaps or
duplicates. Topics bumped to the front of ``latest`` while a run goes on are not
revisited by that run; the next run updates them in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from earwitness.collect._htmltext import PostText, post_text
from earwitness.collect._http import HttpStatusError, MalformedResponseError, PoliteClient
from earwitness.collect._items import CollectedItem, ItemWriter, RunSummary
from earwitness.progress import ProgressReporter

__all__ = ["DiscourseQuery", "collect_discourse", "topic_items"]

PLATFORM = "discourse"
POSTS_PER_REQUEST = 20
_REGULAR, _MODERATOR_ACTION = 1, 2  # post_type; 3 small action and 4 whisper are skipped
_QUOTES = ("aside.quote", "blockquote")
_GONE = (403, 404, 410)
_DROP = ("aside.quote > div.title", "aside.onebox", "div.lightbox-wrapper", "span.lightbox")


@dataclass(frozen=True)
class DiscourseQuery:
    """What to collect from one Discourse site."""

    base_url: str
    category: str | None = None
    search: str | None = None
    max_pages: int | None = None
    max_topics: int | None = None  # per run; the next run continues where this one stopped

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def key(self) -> str:
        base = self.base_url.rstrip("/")
        if self.search is not None:
            return f"{base}|search|{self.search}"
        if self.category is not None:
            return f"{base}|category|{self.category}"
        return f"{base}|latest"

    def listing_url(self, page: int) -> str:
        base = self.base_url.rstrip("/")
        if self.search is not None:
            return f"{base}/search.json?{urlencode({'q': self.search, 'page': page + 1})}"
        if self.category is not None:
            return f"{base}/c/{quote(self.category.strip('/'))}.json?page={page}"
        return f"{base}/latest.json?page={page}"


def _listing(data: Any, query: DiscourseQuery, url: str) -> tuple[list[int], bool]:
    """The topic ids of one listing page, and whether another page follows."""
    if not isinstance(data, dict):
        raise MalformedResponseError(url, "expected a JSON object")
    if query.search is not None:
        topics = data.get("topics") or []
        ids = [t["id"] for t in topics if isinstance(t, dict) and "id" in t]
        for post in data.get("posts") or []:
            if isinstance(post, dict) and post.get("topic_id") not in ids:
                ids.append(post["topic_id"])
        grouped = data.get("grouped_search_result") or {}
        return ids, bool(grouped.get("more_full_page_results")) and bool(ids)
    topic_list = data.get("topic_list")
    if not isinstance(topic_list, dict):
        raise MalformedResponseError(url, "no topic_list in the listing")
    topics = topic_list.get("topics") or []
    ids = [t["id"] for t in topics if isinstance(t, dict) and "id" in t]
    return ids, bool(topic_list.get("more_topics_url")) and bool(ids)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _likes(post: Mapping[str, Any]) -> int | None:
    for action in post.get("actions_summary") or []:
        if isinstance(action, dict) and action.get("id") == 2:
            return int(action.get("count") or 0)
    return None


def _split(cooked: str) -> PostText:
    """Own text and quotes; a post that is only a Markdown ``>`` quote keeps it as text.

    Discourse cooks ``> words`` to a bare ``<blockquote>``; a quote of another post is an
    ``aside.quote``. A post made only of bare blockquotes quotes no participant (lyrics,
    a vendor's claim), so its text is that quote, marked with ``>`` as the author wrote it.
    """
    split = post_text(cooked, quote_selectors=_QUOTES, drop_selectors=_DROP)
    if split.text or not split.quoted:
        return split
    if post_text(cooked, quote_selectors=("aside.quote",), drop_selectors=_DROP).quoted:
        return split  # it quotes another post: the quote is someone else's words
    lines = split.quoted.split("\n")
    return PostText("\n".join(f"> {line}" if line else ">" for line in lines), split.quoted)


# Discourse's own notices about a topic (pinned, closed, archived, listed, moved): posts
# with an ``action_code`` ("pinned.enabled", "pinned_globally.enabled", "closed.enabled",
# "autoclosed.enabled", "archived.enabled", "visible.disabled", "split_topic") or
# written by the ``system`` user in these words. They are no one's post.
_NOTICE_TEXT = re.compile(
    r"^\s*(?:<p>)?\s*This topic (?:is now |was |has been |is )?(?:pinned|unpinned|"
    r"(?:automatically )?closed|opened|archived|unarchived|listed|unlisted|"
    r"(?:globally )?(?:pinned|banner))",
    re.IGNORECASE,
)


def _notice(post: Mapping[str, Any]) -> bool:
    if post.get("action_code"):
        return True
    system = str(post.get("username") or "").casefold() == "system"
    return system and bool(_NOTICE_TEXT.match(post.get("cooked") or ""))


def topic_items(
    topic: Mapping[str, Any], posts: list[Mapping[str, Any]], *, host: str, base_url: str
) -> list[CollectedItem]:
    """The collected items of one topic's posts."""
    topic_id = topic["id"]
    thread = f"{host}:t{topic_id}"
    by_number = {p.get("post_number"): p.get("id") for p in posts}
    first_id = by_number.get(1)
    items = []
    for post in posts:
        if post.get("post_type", _REGULAR) not in (_REGULAR, _MODERATOR_ACTION) or _notice(post):
            continue
        number = post.get("post_number")
        deleted = bool(post.get("deleted_at") or post.get("user_deleted"))
        split = _split(post.get("cooked") or "")
        parent_id = by_number.get(post.get("reply_to_post_number")) or (
            first_id if number != 1 else None
        )
        version = post.get("version") or 1
        items.append(
            CollectedItem(
                platform=PLATFORM,
                native_id=f"{host}:p{post['id']}",
                kind="topic" if number == 1 else "post",
                text="[deleted]" if deleted else split.text,
                author=post.get("username"),
                thread_native_id=thread,
                parent_native_id=f"{host}:p{parent_id}" if parent_id else None,
                title=topic.get("title") if number == 1 else None,
                quoted=split.quoted,
                url=f"{base_url.rstrip('/')}/t/{topic.get('slug') or '-'}/{topic_id}/{number}",
                score=_likes(post),
                authored_at=_time(post.get("created_at")),
                edited_at=_time(post.get("updated_at")) if version > 1 else None,
                flair=post.get("user_title") or None,
                extra={
                    "post_number": number,
                    "category_id": topic.get("category_id"),
                    **(
                        {"missing_post_ids": topic["missing_post_ids"]}
                        if number == 1 and topic.get("missing_post_ids")
                        else {}
                    ),
                },
            )
        )
    return items


@dataclass
class _Gap:
    """Posts a topic lists but a ``posts.json`` chunk did not give (404, 403, 410)."""

    url: str
    status: int
    post_ids: list[int]


def _topic_posts(
    client: PoliteClient, base: str, topic_id: int, gaps: list[_Gap]
) -> tuple[dict[str, Any], list[Any]]:
    url = f"{base}/t/{topic_id}.json"
    topic = client.get_json(url)
    stream = topic.get("post_stream") if isinstance(topic, dict) else None
    if not isinstance(stream, dict) or not isinstance(stream.get("posts"), list):
        raise MalformedResponseError(url, "no post_stream in the topic")
    posts = list(stream["posts"])
    have = {p.get("id") for p in posts}
    missing = [i for i in stream.get("stream") or [] if i not in have]
    for start in range(0, len(missing), POSTS_PER_REQUEST):
        chunk = missing[start : start + POSTS_PER_REQUEST]
        more_url = f"{base}/t/{topic_id}/posts.json?" + urlencode(
            [("post_ids[]", i) for i in chunk]
        )
        try:
            more = client.get_json(more_url)
        except HttpStatusError as exc:
            if exc.status not in _GONE:
                raise
            gaps.append(_Gap(more_url, exc.status, list(chunk)))  # keep what was fetched
            continue
        more_posts = (
            (more.get("post_stream") or {}).get("posts") if isinstance(more, dict) else None
        )
        if not isinstance(more_posts, list):
            raise MalformedResponseError(more_url, "no post_stream in the posts")
        posts.extend(more_posts)
    order = {post_id: n for n, post_id in enumerate(stream.get("stream") or [])}
    posts.sort(key=lambda p: order.get(p.get("id"), len(order)))
    return topic, posts


def _listing_pages(
    client: PoliteClient, query: DiscourseQuery, start_page: int
) -> Iterator[tuple[int, list[int], bool]]:
    page = start_page
    while query.max_pages is None or page < query.max_pages:
        url = query.listing_url(page)
        ids, more = _listing(client.get_json(url), query, url)
        yield page, ids, more
        if not more:
            return
        page += 1


def collect_discourse(
    client: PoliteClient,
    writer: ItemWriter,
    query: DiscourseQuery,
    *,
    reporter: ProgressReporter | None = None,
) -> RunSummary:
    """Collect every topic of the listing, one committed page per topic; resumable."""
    summary = writer.summary
    if writer.is_done():
        writer.reset()  # a finished listing is collected again; items update in place
    base = query.base_url.rstrip("/")
    state = writer.resume_state()
    written = int(state.get("topics", 0))
    done_on_page = set(state.get("done_on_page", []))
    requests_before, wait_before = client.stats.requests, client.stats.wait_s
    this_run = 0
    for page, ids, more in _listing_pages(client, query, int(state.get("page", 0))):
        for topic_id in ids:
            if query.max_topics is not None and this_run >= query.max_topics:
                _save(writer, client, page, written, done_on_page)  # the next run goes on
                return _with_stats(summary, client, requests_before, wait_before)
            if topic_id in done_on_page:
                summary.skipped_seen += 1
                continue
            topic, posts = _topic(client, base, topic_id, summary)
            items = topic_items(topic, posts, host=query.host, base_url=base)
            written, this_run = written + 1, this_run + 1
            done_on_page.add(topic_id)
            _save(writer, client, page, written, done_on_page, items=items)
            if reporter is not None:
                reporter.advance(
                    len(items), requests=client.stats.requests, wait=f"{client.stats.wait_s:.0f} s"
                )
        done_on_page = set()
        if more:
            _save(writer, client, page + 1, written, done_on_page)
    _save(writer, client, 0, written, set(), done=True)
    return _with_stats(summary, client, requests_before, wait_before)


def _topic(
    client: PoliteClient, base: str, topic_id: int, summary: RunSummary
) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    gaps: list[_Gap] = []
    try:
        topic, posts = _topic_posts(client, base, topic_id, gaps)
    except HttpStatusError as exc:
        if exc.status not in _GONE:
            raise
        return {"id": topic_id}, []  # deleted or made private since it was listed
    for gap in gaps:
        summary.posts_missed += len(gap.post_ids)
        summary.warn(
            f"{gap.url}: HTTP {gap.status}; {len(gap.post_ids)} post(s) of topic {topic_id} "
            "not collected (the others were kept)"
        )
    if gaps:  # recorded with the topic, so the gap stays visible in the study
        topic = {**topic, "missing_post_ids": [i for gap in gaps for i in gap.post_ids]}
    return topic, posts


def _save(
    writer: ItemWriter,
    client: PoliteClient,
    page: int,
    written: int,
    done_on_page: set[int],
    *,
    items: list[CollectedItem] | None = None,
    done: bool = False,
) -> None:
    """Commit a topic's items with the cursor: the listing page and its topics done."""
    state = {"page": page, "topics": written, "done_on_page": sorted(done_on_page)}
    writer.write_page(items or [], responses=client.drain(), state=state, done=done)


def _with_stats(
    summary: RunSummary, client: PoliteClient, requests_before: int, wait_before: float
) -> RunSummary:
    summary.requests += client.stats.requests - requests_before
    summary.wait_s += client.stats.wait_s - wait_before
    return summary
