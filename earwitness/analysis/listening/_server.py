"""The ASGI app participants use: one static page, a small JSON API, and WAV stimuli.

Routes (TOKEN is the session's opaque token, STIM a per-session stimulus token):

* ``GET /s/TOKEN``: the page (the same bytes for every session and test).
* ``GET /static/listen.js``, ``/static/listen.css``: its script and style.
* ``GET /api/TOKEN/state``: design, progress and the current trial's tokens.
* ``GET /api/TOKEN/audio/STIM``: the stimulus, PCM WAV with a bare header.
* ``POST /api/TOKEN/answer``: one trial's answer, written at once; replays and
  out-of-order answers get 409, malformed ones 422, oversized bodies 413.
* ``POST /api/TOKEN/events``: a batch of page events for the behavioural screen.
* ``POST /api/TOKEN/crowd``: the crowd ID from the link's ``?crowd_id=`` (or Prolific's
  ``PROLIFIC_PID``), recorded once.

Nothing the participant receives names a version, a service, a file or a sha256.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from earwitness.analysis.listening._sessions import (
    AnswerError,
    add_events,
    load_session,
    public_state,
    record_answer,
    set_crowd_id,
    stimulus_for,
)
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = ["MAX_BODY", "create_app"]

MAX_BODY = 64 * 1024
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS = {
    **_HEADERS,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}
_STATIC = {"listen.js": "text/javascript", "listen.css": "text/css", "index.html": "text/html"}


def _asset(name: str) -> bytes:
    return resources.files("earwitness.analysis.listening").joinpath("static", name).read_bytes()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


async def _body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise AnswerError(413, f"the body is larger than {MAX_BODY} bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise AnswerError(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise AnswerError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise AnswerError(400, "the body is a JSON object")
    return body


def create_app(store: Store, root: Path) -> Starlette:
    """The participant app over ``store``; stimulus paths are relative to ``root``."""
    from starlette.concurrency import run_in_threadpool

    def state(token: str) -> dict[str, Any]:
        with store.connect() as connection:
            return public_state(load_session(connection, token))

    def audio(token: str, stim: str) -> bytes:
        with store.connect() as connection:
            session = load_session(connection, token)
            stimulus = stimulus_for(session, stim)
            path = connection.scalar(
                sa.select(s.listening_stimuli.c.path).where(s.listening_stimuli.c.id == stimulus)
            )
        return (root / str(path)).read_bytes()

    async def page(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            await run_in_threadpool(state, token)
        except AnswerError as exc:
            return _error(exc.status, exc.message)
        return Response(_asset("index.html"), media_type="text/html", headers=_PAGE_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC or name == "index.html":
            return _error(404, "not found")
        return Response(_asset(name), media_type=_STATIC[name], headers=_HEADERS)

    async def api(request: Request) -> Response:
        token, action = request.path_params["token"], request.path_params["action"]
        try:
            if request.method == "GET" and action == "state":
                return JSONResponse(await run_in_threadpool(state, token), headers=_HEADERS)
            if request.method == "POST" and action == "answer":
                body = await _body(request)
                result = await run_in_threadpool(record_answer, store, token, body)
                return JSONResponse(result, headers=_HEADERS)
            if request.method == "POST" and action == "events":
                body = await _body(request)
                count = await run_in_threadpool(add_events, store, token, body.get("events"))
                return JSONResponse({"stored": count}, headers=_HEADERS)
            if request.method == "POST" and action == "crowd":
                body = await _body(request)
                stored = await run_in_threadpool(set_crowd_id, store, token, body.get("crowd_id"))
                return JSONResponse({"stored": stored}, headers=_HEADERS)
            known = action in ("state", "answer", "events", "crowd")
            return _error(405 if known else 404, "method not allowed" if known else "not found")
        except AnswerError as exc:
            return _error(exc.status, exc.message)

    async def stimulus(request: Request) -> Response:
        token, stim = request.path_params["token"], request.path_params["stim"]
        try:
            data = await run_in_threadpool(audio, token, stim)
        except AnswerError as exc:
            return _error(exc.status, exc.message)
        return Response(data, media_type="audio/wav", headers=_HEADERS)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, "not found")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, "method not allowed")

    routes = [
        Route("/s/{token}", page),
        Route("/static/{name}", static),
        Route("/api/{token}/audio/{stim}", stimulus),
        Route("/api/{token}/{action}", api, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
