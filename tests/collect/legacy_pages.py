"""Thread pages of legacy forum engines, built from the engines' own templates.

The markup follows each engine's default style, template by template (invented forum,
posts and authors; layout noise trimmed):

* phpBB 3.0 prosilver ``viewtopic_body.html``: ``div.pagination`` with the jump link
  ``Page <strong>X</strong> of <strong>N</strong>`` and ``<span>{PAGINATION}</span>``,
  where ``{PAGINATION}`` is 3.0's ``generate_pagination()`` output (numbers separated by
  ``<span class="page-sep">, </span>``, gaps as `` ... ``, NO "Next" link: viewtopic.php
  3.0 calls it without ``$add_prevnext_text``); the date follows ``&raquo;`` in
  ``p.author``;
* phpBB 3.1/3.2 prosilver: ``<span class="responsive-hide">by … &raquo; </span>DATE``
  in ``p.author`` with the board's ``d M Y H:i`` default, no ``<time>`` element;
* vBulletin 3.8 ``SHOWTHREAD`` with ``postbit_legacy`` and ``pagenav``: ``Page 1 of N``
  in ``td.vbmenu_control``, numbered ``a.smallfont`` links, ``&gt;`` for the next page,
  and the ``<meta http-equiv="Content-Type" content="text/html; charset=…">`` that
  ``headinclude`` prints;
* vBulletin 4.2 ``SHOWTHREAD`` with friendly URLs (``showthread.php/ID-title/pageN``):
  ``form.pagination`` with ``Page 1 of N``, ``span.selected`` and numbered spans, and
  ``span.date`` with "Today," / "Yesterday," and ``span.time``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Post:
    post_id: int
    author: str
    date: str
    html: str
    rank: str = "Member"


# --- phpBB ------------------------------------------------------------------------------


def phpbb30_pagination(base: str, total_pages: int, on_page: int, per_page: int) -> str:
    """phpBB 3.0 ``generate_pagination()`` (includes/functions.php), without prev/next."""
    sep = '<span class="page-sep">, </span>'

    def link(page: int) -> str:
        if page == on_page:
            return f"<strong>{page}</strong>"
        start = f"&amp;start={(page - 1) * per_page}" if page > 1 else ""
        return f'<a href="{base}{start}">{page}</a>'

    out = link(1)
    if total_pages > 5:
        start_cnt = min(max(1, on_page - 4), total_pages - 5)
        end_cnt = max(min(total_pages, on_page + 4), 6)
        out += " ... " if start_cnt > 1 else sep
        for page in range(start_cnt + 1, end_cnt):
            out += link(page) + (sep if page < end_cnt - 1 else "")
        out += " ... " if end_cnt < total_pages else sep
    else:
        out += sep
        for page in range(2, total_pages):
            out += link(page) + sep
    return out + link(total_pages)


def _phpbb30_post(post: Post, title: str) -> str:
    return (
        f'<div id="p{post.post_id}" class="post bg2"><div class="inner">'
        '<span class="corners-top"><span></span></span><div class="postbody">'
        '<ul class="profile-icons"><li class="quote-icon"><a href="./posting.php?mode=quote'
        f'&amp;f=2&amp;p={post.post_id}" title="Reply with quote"><span>Reply with quote'
        f'</span></a></li></ul><h3><a href="#p{post.post_id}">Re: {title}</a></h3>'
        f'<p class="author"><a href="./viewtopic.php?p={post.post_id}#p{post.post_id}">'
        '<img src="./styles/prosilver/imageset/icon_post_target.gif" width="11" height="9" '
        'alt="Post" title="Post" /></a>by <strong><a href="./memberlist.php?mode=viewprofile'
        f'&amp;u=2">{post.author}</a></strong> &raquo; {post.date} </p>'
        f'<div class="content">{post.html}</div></div>'
        f'<dl class="postprofile" id="profile{post.post_id}"><dt>'
        f'<a href="./memberlist.php?mode=viewprofile&amp;u=2">{post.author}</a></dt>'
        f"<dd>{post.rank}</dd><dd>&nbsp;</dd><dd><strong>Posts:</strong> 42</dd></dl>"
        '<div class="back2top"><a href="#wrap" class="top" title="Top">Top</a></div>'
        '<span class="corners-bottom"><span></span></span></div></div>'
        '<hr class="divider" />'
    )


def phpbb30_topic(
    topic_id: int, page: int, total_pages: int, posts: list[Post], *, total_posts: int
) -> str:
    """One page of a phpBB 3.0 prosilver topic (``viewtopic.php?f=2&t=ID&start=K``)."""
    title = "Ozone vs LANDR on a ten-page thread"
    base = f"./viewtopic.php?f=2&amp;t={topic_id}"
    pagination = (
        f'<div class="pagination">{total_posts} posts'
        ' &bull; <a href="#" onclick="jumpto(); return false;" title="Click to jump to page…">'
        f"Page <strong>{page}</strong> of <strong>{total_pages}</strong></a>"
        f" &bull; <span>{phpbb30_pagination(base, total_pages, page, 10)}</span></div>"
    )
    body = "".join(_phpbb30_post(post, title) for post in posts)
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" dir="ltr" lang="en-gb" xml:lang="en-gb">'
        '<head><meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
        f"<title>Audio Forum &bull; View topic - {title}</title></head>"
        '<body id="phpbb" class="section-viewtopic ltr"><div id="wrap">'
        '<div id="page-header"><div class="navbar"><ul class="linklist navlinks">'
        '<li class="icon-home"><a href="./index.php" accesskey="h">Board index</a></li>'
        '</ul></div></div><div id="page-body">'
        f'<h2><a href="{base}">{title}</a></h2>'
        '<div class="topic-actions"><div class="buttons"><div class="reply-icon">'
        '<a href="./posting.php?mode=reply&amp;f=2" title="Post a reply">'
        f"<span></span>Post a reply</a></div></div>{pagination}</div>"
        '<div class="clear"></div>'
        f'{body}<div class="topic-actions"><div class="buttons"></div>{pagination}</div>'
        '</div><div id="page-footer"><div class="copyright">Powered by '
        '<a href="http://www.phpbb.com/">phpBB</a>&reg; Forum Software &copy; phpBB Group'
        "</div></div></div></body></html>"
    )


def phpbb30_forum(page: int, total_pages: int, topics: list[tuple[int, str, int]]) -> str:
    """A phpBB 3.0 prosilver ``viewforum_body.html`` page: ``(topic id, title, pages)``.

    Each topic row carries its own small pagination (``strong.pagination``), as 3.0
    prints it for topics of more than one page.
    """
    base = "./viewforum.php?f=2"
    pagination = (
        f'<div class="pagination">{len(topics) * total_pages} topics'
        ' &bull; <a href="#" onclick="jumpto(); return false;" title="Click to jump to page…">'
        f"Page <strong>{page}</strong> of <strong>{total_pages}</strong></a>"
        f" &bull; <span>{phpbb30_pagination(base, total_pages, page, 25)}</span></div>"
    )
    rows = []
    for topic_id, title, pages in topics:
        link = f"./viewtopic.php?f=2&amp;t={topic_id}"
        mini = (
            '<strong class="pagination"><span>'
            + phpbb30_pagination(link, pages, 0, 10)
            + "</span></strong>"
            if pages > 1
            else ""
        )
        rows.append(
            '<li class="row bg1"><dl class="icon" style="background-image: '
            "url(./styles/prosilver/imageset/topic_read.gif); background-repeat: no-repeat;"
            f'"><dt title="No unread posts"><a href="{link}" class="topictitle">{title}</a>'
            f' {mini}<br />by <a href="./memberlist.php?mode=viewprofile&amp;u=2">someone</a>'
            ' &raquo; Fri Mar 01, 2013 10:00 am</dt><dd class="posts">3 <dfn>Replies</dfn>'
            '</dd><dd class="views">40 <dfn>Views</dfn></dd></dl></li>'
        )
    return (
        '<!DOCTYPE html><html dir="ltr" lang="en-gb"><head>'
        '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
        "<title>Audio Forum &bull; View forum - Mastering</title></head>"
        '<body id="phpbb" class="section-viewforum ltr"><div id="wrap"><div id="page-body">'
        f'<h2><a href="{base}">Mastering</a></h2><div class="topic-actions">{pagination}</div>'
        '<div class="forumbg"><div class="inner"><ul class="topiclist"><li class="header">'
        '<dl class="icon"><dt>Topics</dt><dd class="posts">Replies</dd></dl></li></ul>'
        f'<ul class="topiclist topics">{"".join(rows)}</ul></div></div>'
        f'<div class="topic-actions">{pagination}</div></div></div></body></html>'
    )


def phpbb32_topic(topic_id: int, posts: list[Post]) -> str:
    """A one-page phpBB 3.2 prosilver topic whose dates are the board's ``d M Y H:i``."""
    items = "".join(
        f'<div id="p{p.post_id}" class="post has-profile bg2"><div class="inner">'
        f'<dl class="postprofile" id="profile{p.post_id}"><dt class="has-profile-rank">'
        f'<a href="./memberlist.php?mode=viewprofile&amp;u=2" class="username">{p.author}</a>'
        f'</dt><dd class="profile-rank">{p.rank}</dd></dl><div class="postbody">'
        f'<div id="post_content{p.post_id}"><h3><a href="#p{p.post_id}">Limiter settings</a>'
        f'</h3><p class="author"><a class="unread" href="./viewtopic.php?p={p.post_id}'
        f'#p{p.post_id}" title="Post"><i class="icon fa-file fa-fw icon-lightgray icon-md" '
        'aria-hidden="true"></i><span class="sr-only">Post</span></a>'
        '<span class="responsive-hide">by <strong><a href="./memberlist.php?mode=viewprofile'
        f'&amp;u=2" class="username">{p.author}</a></strong> &raquo; </span>{p.date} </p>'
        f'<div class="content">{p.html}</div></div></div></div></div>'
        '<hr class="divider" />'
        for p in posts
    )
    return (
        '<!DOCTYPE html><html dir="ltr" lang="en-gb"><head><meta charset="utf-8" />'
        "<title>Limiter settings - Audio Forum</title></head>"
        '<body id="phpbb" class="nojs notouch section-viewtopic ltr "><div id="wrap" '
        'class="wrap"><div id="page-body" class="page-body" role="main">'
        f'<h2 class="topic-title"><a href="./viewtopic.php?t={topic_id}">Limiter settings</a>'
        '</h2><div class="action-bar bar-top"><div class="pagination">'
        f"{len(posts)} posts &bull; Page <strong>1</strong> of <strong>1</strong></div></div>"
        f"{items}</div></div></body></html>"
    )


# --- vBulletin 3 ------------------------------------------------------------------------


def _vb3_pagenav(thread: str, page: int, total_pages: int) -> str:
    cells = [
        f'<td class="vbmenu_control" style="font-weight:normal">Page {page} of {total_pages}</td>'
    ]
    for number in range(1, total_pages + 1):
        if number == page:
            cells.append(
                '<td class="alt2"><span class="smallfont" title="Showing results">'
                f"<strong>{number}</strong></span></td>"
            )
        else:
            cells.append(
                f'<td class="alt1"><a class="smallfont" href="{thread}&amp;page={number}" '
                f'title="Show results">{number}</a></td>'
            )
    if page < total_pages:
        cells.append(
            f'<td class="alt1"><a class="smallfont" href="{thread}&amp;page={page + 1}" '
            'title="Next Page - Results">&gt;</a></td>'
        )
    return (
        '<div class="pagenav" align="right"><table class="tborder" cellpadding="3" '
        f'cellspacing="1" border="0"><tr>{"".join(cells)}</tr></table></div>'
    )


def _vb3_post(post: Post) -> str:
    pid = post.post_id
    return (
        f'<div id="edit{pid}" style="padding:0px 0px 6px 0px">'
        f'<table id="post{pid}" class="tborder" cellpadding="6" cellspacing="0" border="0" '
        'width="100%" align="center"><tr><td class="thead"><div class="normal" '
        f'style="float:right">&nbsp;#<a href="showpost.php?p={pid}&amp;postcount=1" '
        f'target="new" rel="nofollow" id="postcount{pid}" name="1"><strong>1</strong></a>'
        f' &nbsp;</div><div class="normal"><a name="post{pid}"><img class="inlineimg" '
        'src="images/statusicon/post_old.gif" alt="Old" border="0" /></a>\n'
        f"\t\t\t{post.date}\n\t\t</div></td></tr>"
        '<tr><td class="alt2" style="padding:0px"><table cellpadding="0" cellspacing="6" '
        f'border="0" width="100%"><tr><td nowrap="nowrap"><div id="postmenu_{pid}">'
        f'<a class="bigusername" href="member.php?u=2">{post.author}</a></div>'
        f'<div class="smallfont">{post.rank}</div></td></tr></table></td></tr>'
        f'<tr><td class="alt1" id="td_post_{pid}"><div id="post_message_{pid}">'
        f"{post.html}</div></td></tr></table></div>"
    )


def vb3_thread(
    thread_id: int,
    posts: list[Post],
    *,
    charset: str,
    page: int = 1,
    total_pages: int = 1,
    title: str = "Mastering for streaming",
) -> str:
    """A vBulletin 3.8 thread page; ``charset`` as headinclude's ``<meta>`` declares it."""
    thread = f"showthread.php?t={thread_id}"
    nav = _vb3_pagenav(thread, page, total_pages) if total_pages > 1 else ""
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" dir="ltr" lang="en">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />\n'
        '<meta name="generator" content="vBulletin 3.8.7" />\n'
        f"<title>{title} - Audio Forum</title>\n</head>\n<body>\n"
        '<table class="tborder" cellpadding="6" cellspacing="1" border="0" width="100%">'
        '<tr><td class="alt1" width="100%"><table cellpadding="0" cellspacing="0" border="0">'
        '<tr valign="bottom"><td class="navbar" style="font-size:10pt; padding-top:1px" '
        f'colspan="3"><a href="{thread}"><img class="inlineimg" '
        'src="images/misc/navbits_finallink_ltr.gif" alt="Reload this Page" border="0" /></a>'
        f" <strong>\n\t {title}\n\n</strong></td></tr></table></td></tr></table>\n"
        f'{nav}<div id="posts">{"".join(_vb3_post(p) for p in posts)}'
        f'<div id="lastpost"></div></div>{nav}\n</body>\n</html>\n'
    )


# --- vBulletin 4 ------------------------------------------------------------------------


def vb4_thread(base: str, path: str, posts: list[Post], *, page: int, total_pages: int) -> str:
    """A vBulletin 4.2 thread page at a friendly URL (``showthread.php/ID-title``).

    vBulletin 4 prints ``<base href>`` (the forum's home) and links relative to it.
    """
    spans = []
    for number in range(1, total_pages + 1):
        href = path if number == 1 else f"{path}/page{number}"
        if number == page:
            spans.append(
                '<span class="selected"><a href="javascript://" title="Results">'
                f"{number}</a></span>"
            )
        else:
            spans.append(f'<span><a href="{href}" title="Show results">{number}</a></span>')
    pagination = (
        '<div id="pagination_top" class="pagination_top"><form action="showthread.php" '
        'method="get" class="pagination popupmenu nohovermenu"><span><a href="javascript://" '
        f'class="popupctrl">Page {page} of {total_pages}</a></span>{"".join(spans)}</form></div>'
    )
    items = "".join(
        f'<li class="postbitlegacy postbitim postcontainer old" id="post_{p.post_id}">'
        f'<div class="posthead"><span class="postdate old"><span class="date">{p.date}'
        f'</span></span><span class="nodecontrols"><a name="post{p.post_id}" '
        f'href="{path}#post{p.post_id}" class="postcounter">#1</a></span></div>'
        '<div class="postdetails"><div class="userinfo"><div class="username_container">'
        '<div class="popupmenu memberaction"><a class="username offline popupctrl" '
        f'href="member.php/2-{p.author}" title="{p.author} is offline"><strong>{p.author}'
        f'</strong></a></div></div><span class="usertitle">{p.rank}</span></div>'
        '<div class="postbody"><div class="postrow"><div class="content">'
        f'<div id="post_message_{p.post_id}"><blockquote class="postcontent restore ">'
        f"{p.html}</blockquote></div></div></div></div></div></li>"
        for p in posts
    )
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" dir="ltr" lang="en" id="vbulletin_html">'
        '<head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1" />'
        f'<meta name="generator" content="vBulletin 4.2.2" /><base href="{base}" />'
        "<title>Dithering before the limiter?</title></head><body>"
        '<div id="pagetitle"><h1>Thread: <span class="threadtitle"><a href="'
        f'{path}" title="Reload this Page">Dithering before the limiter?</a></span></h1></div>'
        f'{pagination}<div id="postlist" class="postlist restrain"><ol id="posts" '
        f'class="posts" start="1">{items}</ol></div></body></html>'
    )
