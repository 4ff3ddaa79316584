"""vBulletin 3, 4 and 5, as on Gearspace and many older audio forums.

* 3.x (postbit_legacy): ``table#post<ID>``, text in ``div#post_message_<ID>``, quotes in
  ``td.alt2`` under "Quote:" and "Originally Posted by NAME", date in ``td.thead``;
* 4.x: ``li.postcontainer#post_<ID>``, quotes in ``div.bbcode_container``, date in
  ``span.postdate``, next page ``a[rel=next]``;
* 5.x: ``li.b-post[data-node-id]``, text in ``div.js-post__content-text``, ``<time>``.
"""

from __future__ import annotations

from earwitness.collect._forums._engine import Engine

__all__ = ["VBULLETIN3", "VBULLETIN4", "VBULLETIN5"]

VBULLETIN3 = Engine(
    name="vbulletin",
    version="3",
    post="table[id^=post]",
    post_id_attr="id",
    post_id_pattern=r"post(\d+)",
    author=("a.bigusername",),
    content="div[id^=post_message_]",
    time=("td.thead div.normal", "td.thead"),
    flair=("div[id^=postmenu_] + div.smallfont",),
    quotes=("td.alt2",),
    drop=("div.smallfont",),
    drop_if_text=(("td.alt2 > div", r"^\s*Originally Posted by"),),
    thread_links=("a[id^=thread_title_]",),
    next_links=("a[title^='Next Page']",),
    page_links=("div.pagenav",),
    title=("td.navbar strong",),
    thread_id_param="t",
)

VBULLETIN4 = Engine(
    name="vbulletin",
    version="4",
    post="li.postcontainer[id^=post_]",
    post_id_attr="id",
    post_id_pattern=r"post_(\d+)",
    author=("div.username_container .username strong", "div.username_container .username"),
    content="div[id^=post_message_]",
    time=("span.postdate span.date",),
    flair=("span.usertitle",),
    quotes=("div.bbcode_container",),
    drop=("div.bbcode_postedby", "div.bbcode_description"),
    thread_links=("a[id^=thread_title_]",),
    next_links=("span.prev_next a[title^='Next Page']",),
    page_links=("div.pagination_top", "div.pagination_bottom", "form.pagination"),
    title=("span.threadtitle a", "span.threadtitle"),
    thread_id_param="t",
)

VBULLETIN5 = Engine(
    name="vbulletin",
    version="5",
    post="li.b-post[data-node-id]",
    post_id_attr="data-node-id",
    post_id_pattern=r"(\d+)",
    author=("div.author a", "div.author"),
    content="div.js-post__content-text",
    time=("div.b-post__timestamp time", "time[datetime]"),
    flair=("div.usertitle", "div.b-userinfo__rank"),
    quotes=("div.bbcode_container",),
    drop=("div.bbcode_postedby",),
    thread_links=("a.topic-title",),
    next_links=("a.js-pagenav-next-button",),
    page_links=("div.pagenav-container", "ul.pagenav", "div.pagenav"),
    title=("h1.main-title", "h1"),
    thread_id_path=r"/(\d+)-[^/]*(?:/page\d+)?/?$",
)
