"""Plain text from forum post HTML, with quoted posts kept apart from the author's words.

Parsing uses selectolax's lexbor engine (an HTML5-conformant parser). Block elements
become line breaks, scripts, styles and images vanish, and the elements that quote other
posts (given as CSS selectors per engine) are cut out: their text goes to ``quoted``.
A quote's heading ("Jane wrote:") names another person, so it is dropped, not quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["PostText", "node_text", "post_text"]

_BLOCK_NAMES = (
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul"
)
_BLOCKS = frozenset(_BLOCK_NAMES.split())
_SKIP = frozenset(["script", "style", "noscript", "template", "img", "svg", "iframe", "button"])
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class PostText:
    text: str
    quoted: str | None


def _render(node: LexborNode, out: list[str], pre: bool = False) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = child.text(deep=False)
            # a line break in the source is white space (HTML §15.3.1), except in <pre>:
            # vBulletin writes "<br />\n" after every line
            out.append(text if pre else text.replace("\n", " "))
        elif tag == "br":
            out.append("\n")
        elif tag in _SKIP or tag == "-comment":
            continue
        elif tag in _BLOCKS:
            out.append("\n")
            _render(child, out, pre or tag == "pre")
            out.append("\n")
        else:
            _render(child, out, pre)


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def node_text(node: LexborNode) -> str:
    """The readable text of an element, with line breaks where blocks end."""
    out: list[str] = []
    _render(node, out)
    return _tidy("".join(out))


def _inside(node: LexborNode, ids: set[int], root_id: int) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != root_id:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def post_text(
    html: str,
    *,
    quote_selectors: Sequence[str] = ("blockquote",),
    drop_selectors: Sequence[str] = (),
) -> PostText:
    """Split a post's HTML into the author's own text and the text they quoted."""
    tree = LexborHTMLParser(f"<div id='earwitness-post'>{html}</div>")
    root = tree.css_first("#earwitness-post")
    if root is None:  # pragma: no cover - the wrapper is always there
        return PostText("", None)
    for selector in drop_selectors:
        for node in root.css(selector):
            node.decompose()
    matches = [node for selector in quote_selectors for node in root.css(selector)]
    ids = {node.mem_id for node in matches}
    outermost = [node for node in matches if not _inside(node, ids, root.mem_id)]
    quotes: list[str] = []
    for node in outermost:
        quotes.append(node_text(node))
        node.decompose()
    quoted = "\n\n".join(q for q in quotes if q)
    return PostText(node_text(root), quoted or None)
