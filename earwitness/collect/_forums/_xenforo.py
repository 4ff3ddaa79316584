"""XenForo 1 and 2, as on many vendor and community audio forums.

* 1.x: ``<html id="XenForo">``, ``li.message#post-<ID>``, text in
  ``blockquote.messageText``, quotes ``div.bbCodeQuote`` with an attribution, time in
  ``abbr.DateTime[data-time]`` (recent) or ``span.DateTime[title]`` (older);
* 2.x: ``<html id="XF">``, ``article.message--post[data-content=post-<ID>]``, text in
  ``div.bbWrapper``, quotes ``blockquote.bbCodeBlock--quote``, ``time.u-dt[datetime]``.
"""

from __future__ import annotations

from earwitness.collect._forums._engine import Engine

__all__ = ["XENFORO1", "XENFORO2"]

_THREAD_ID = r"threads/(?:[^/]*\.)?(\d+)(?:/|$)"

XENFORO1 = Engine(
    name="xenforo",
    version="1",
    post="li.message[id^=post-]",
    post_id_attr="id",
    post_id_pattern=r"post-(\d+)",
    author=("h3.userText a.username", "div.messageMeta a.username"),
    content="blockquote.messageText",
    time=("a.datePermalink abbr.DateTime", "a.datePermalink span.DateTime", ".DateTime"),
    flair=("em.userTitle",),
    quotes=("div.bbCodeQuote",),
    drop=("div.attribution", "div.quoteExpand"),
    thread_links=("li.discussionListItem h3.title a[href*='threads/']",),
    next_links=("div.PageNav nav a.text",),
    next_text=r"^\s*next",
    page_links=("div.PageNav",),
    title=("div.titleBar h1",),
    thread_id_path=_THREAD_ID,
)

XENFORO2 = Engine(
    name="xenforo",
    version="2",
    post="article.message--post[data-content]",
    post_id_attr="data-content",
    post_id_pattern=r"post-(\d+)",
    author=("h4.message-name .username", "h4.message-name"),
    content="div.bbWrapper",
    time=("header.message-attribution time.u-dt", "time.u-dt"),
    flair=("h5.userTitle",),
    quotes=("blockquote.bbCodeBlock--quote",),
    drop=("div.bbCodeBlock-title", "div.bbCodeBlock-expandLink"),
    thread_links=("div.structItem-title a[href*='/threads/']",),
    next_links=("a.pageNav-jump--next",),
    page_links=("ul.pageNav-main",),
    title=("h1.p-title-value",),
    thread_id_path=_THREAD_ID,
)
