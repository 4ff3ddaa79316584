"""What every page earwitness serves to a browser sends: the response headers shared by the
listening test and the workbench (Starlette apps with plain HTML/JS)."""

from __future__ import annotations

__all__ = ["HEADERS", "PAGE_HEADERS"]

# Every response: never cached (answers and codings change), no type sniffing, no referrer
# (a page's URL can carry a participant's token).
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# HTML pages also refuse to be framed and load nothing from elsewhere.
PAGE_HEADERS = {
    **HEADERS,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}
