"""Which engine wrote a page: the generator meta tag, then each engine's own markup."""

from __future__ import annotations

import dataclasses
import re

from selectolax.lexbor import LexborHTMLParser

from earwitness.collect._forums._engine import Engine
from earwitness.collect._forums._phpbb import PHPBB
from earwitness.collect._forums._vbulletin import VBULLETIN3, VBULLETIN4, VBULLETIN5
from earwitness.collect._forums._xenforo import XENFORO1, XENFORO2
from earwitness.collect._http import MalformedResponseError

__all__ = ["ENGINES", "detect_engine"]

ENGINES = {
    "phpbb": PHPBB,
    "vbulletin3": VBULLETIN3,
    "vbulletin4": VBULLETIN4,
    "vbulletin5": VBULLETIN5,
    "xenforo1": XENFORO1,
    "xenforo2": XENFORO2,
}
_VB_BY_MAJOR = {"3": VBULLETIN3, "4": VBULLETIN4, "5": VBULLETIN5}


def detect_engine(html: str, url: str) -> Engine:
    """The engine of a forum page, or an error naming the URL when none fits."""
    tree = LexborHTMLParser(html)
    generator = tree.css_first("meta[name=generator]")
    content = (generator.attributes.get("content") or "") if generator else ""
    found = re.match(r"\s*vBulletin\s+(\d)", content, re.IGNORECASE)
    if found and found.group(1) in _VB_BY_MAJOR:
        return _VB_BY_MAJOR[found.group(1)]
    root = tree.css_first("html")
    root_id = (root.attributes.get("id") or "") if root else ""
    if root_id == "XF" or tree.css_first("html[data-app]") is not None:
        return XENFORO2
    if root_id == "XenForo":
        return XENFORO1
    body = tree.css_first("body")
    if (body is not None and body.attributes.get("id") == "phpbb") or tree.css_first(
        "div.post[id] div.postbody"
    ):
        modern = (
            "p.author time, p.author span.responsive-hide, dl.row-item, div.list-inner, "
            "li.arrow.next"
        )
        version = "3.1+" if tree.css_first(modern) is not None else "3.0"
        return dataclasses.replace(PHPBB, version=version)
    for selector, engine in (
        ("li.b-post[data-node-id]", VBULLETIN5),
        ("li.postcontainer[id^=post_]", VBULLETIN4),
        ("div[id^=post_message_]", VBULLETIN3),
        ("a[id^=thread_title_]", VBULLETIN4),
    ):
        if tree.css_first(selector) is not None:
            return engine
    raise MalformedResponseError(
        url, "not a page of phpBB, vBulletin (3, 4, 5) or XenForo (1, 2) that earwitness can read"
    )
