"""phpBB 3.0 and 3.1–3.3 (prosilver), as on KVR Audio's forum and many others.

Posts are ``div.post#p<ID>`` with the text in ``div.content``; quotes are
``<blockquote><div><cite>NAME wrote:</cite>…</div></blockquote>``. 3.1+ gives the time
in ``<time datetime>``; 3.0 only as displayed text after the author's name.
"""

from __future__ import annotations

from earwitness.collect._forums._engine import Engine

__all__ = ["PHPBB"]

PHPBB = Engine(
    name="phpbb",
    version="3",
    post="div.post[id]",
    post_id_attr="id",
    post_id_pattern=r"p(\d+)",
    author=(
        "p.author a.username",
        "p.author a.username-coloured",
        "p.author strong a",
        "dl.postprofile dt a",
    ),
    content="div.content",
    time=("p.author time", "p.author"),
    flair=("dd.profile-rank", "dl.postprofile dd"),
    quotes=("blockquote",),
    drop=("blockquote cite", "div.signature", "dl.attachbox"),
    thread_links=("a.topictitle",),
    next_links=("li.arrow.next a", "li.next a", "div.pagination a"),
    next_text=r"^\s*next",
    page_links=("div.pagination", "ul.pagination", "td.gensmall", "td.nav"),
    title=("h2.topic-title a", "h2.topic-title", "div#page-body h2 a", "h2 a"),
    thread_id_param="t",
)
