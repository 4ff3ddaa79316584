"""The ASGI app participants use: one static page, a small JSON API, and WAV stimuli.

Routes (TOKEN is the session's opaque token, STIM a per-session stimulus token):

* ``GET /s/TOKEN``: the page (the same bytes for every session and test).
* ``GET /static/listen.js``, ``/static/listen.css``: its script and style.
* ``GET /api/TOKEN/state``: design, progress and the current trial's tokens.
* ``GET /api/TOKEN/audio/STIM``: the stimulus, PCM WAV with a bare header.
* ``POST /api/TOKEN/answer``: one trial's answer, written at once. Malformed JSON,
  nesting deeper than ``MAX_DEPTH``, an integer of more than ``MAX_INT_DIGITS`` digits
  or an infinite number get 400,
  bodies over ``MAX_BODY`` 413, a body not sent within the body timeout 408; then the
  answer's types are checked (422), then its order (replays and skips get 409), then its
  tokens (422). A write that finds the database locked is retried for
  ``busy_retry_s``, then answered 503 with ``Retry-After``.
* ``POST /api/TOKEN/events``: a batch of page events for the behavioural screen;
  429 once the session has logged its bounded number (or characters) of events.
* ``POST /api/TOKEN/crowd``: the crowd ID from the link's ``?crowd_id=`` (or Prolific's
  ``PROLIFIC_PID``), recorded once.

Nothing the participant receives names a version, a service, a file or a sha256, and
every stimulus download is freshly dithered, so no two downloads share their bytes.
Every error, including an unexpected one, is a JSON object ``{"error": ...}``.

:func:`serve` runs the app under uvicorn with a small HTTP/1.1 protocol layer that closes
connections whose headers (or body) do not arrive in time and refuses connections past
a limit with 503.
"""

from __future__ import annotations

import asyncio
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from earwitness.analysis.listening._limits import (
    MAX_BODY,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    ServerLimits,
)
from earwitness.analysis.listening._sessions import (
    AnswerError,
    add_events,
    load_session,
    public_state,
    record_answer,
    set_crowd_id,
    stimulus_for,
)
from earwitness.analysis.listening._signal import redither
from earwitness.errors import DatabaseLockedError
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.webpages import HEADERS as _HEADERS
from earwitness.webpages import PAGE_HEADERS as _PAGE_HEADERS

__all__ = ["MAX_BODY", "create_app", "parse_json"]

RETRY_AFTER_S = 3
_STATIC = {"listen.js": "text/javascript", "listen.css": "text/css", "index.html": "text/html"}


def _asset(name: str) -> bytes:
    return resources.files("earwitness.analysis.listening").joinpath("static", name).read_bytes()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={**_HEADERS, **(headers or {})}
    )


_LARGEST = 10**MAX_INT_DIGITS


def _refuse_number(value: Any) -> None:
    kind = type(value)
    if kind is int and not -_LARGEST < value < _LARGEST:
        raise AnswerError(400, f"a number in the body has more than {MAX_INT_DIGITS} digits")
    if kind is float and not math.isfinite(value):
        raise AnswerError(400, "a number in the body is out of range")


def _refuse_deep_or_huge(value: Any) -> None:
    """400 for nesting deeper than ``MAX_DEPTH`` or a number past the limits.

    Level by level, without recursion: a body's items are visited once."""
    level, depth = [value], 0
    while level:
        depth += 1
        containers = []
        for item in level:
            if type(item) not in (dict, list):
                _refuse_number(item)
                continue
            if depth > MAX_DEPTH:
                raise AnswerError(400, f"the body is nested deeper than {MAX_DEPTH} levels")
            for child in item.values() if type(item) is dict else item:
                if type(child) in (dict, list):
                    containers.append(child)
                elif type(child) in (int, float):
                    _refuse_number(child)
        level = containers


def _no_constant(text: str) -> None:
    raise AnswerError(400, f"{text} is not JSON")


def parse_json(data: bytes) -> Any:
    """A request body parsed with limits on depth and number size; 400 when past them."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:  # the decoder's own guard, far deeper than MAX_DEPTH
        raise AnswerError(400, f"the body is nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):  # also ints past Python's 4,300 digits
        raise AnswerError(400, "the body is not JSON") from None
    _refuse_deep_or_huge(value)
    return value


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise AnswerError(413, f"the body is larger than {MAX_BODY} bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise AnswerError(413, f"the body is larger than {MAX_BODY} bytes")
    return data


async def _body(request: Request, limits: ServerLimits) -> dict[str, Any]:
    try:
        data = await asyncio.wait_for(_read(request), limits.body_timeout_s)
    except TimeoutError:
        raise AnswerError(408, "the body did not arrive in time") from None
    body = parse_json(data)
    if not isinstance(body, dict):
        raise AnswerError(400, "the body is a JSON object")
    return body


async def _write(limits: ServerLimits, work: Any, *args: Any) -> Any:
    """Run a write; while the database is locked by another command, retry for a bounded time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.busy_retry_s
    while True:
        try:
            return await run_in_threadpool(work, *args)
        except DatabaseLockedError:
            if loop.time() >= deadline:
                raise AnswerError(
                    503,
                    "the study database is busy; your answer was not saved yet, send it again",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                ) from None
            await asyncio.sleep(0.2)


def create_app(store: Store, root: Path, limits: ServerLimits | None = None) -> Starlette:
    """The participant app over ``store``; stimulus paths are relative to ``root``."""
    bounds = limits or ServerLimits.from_settings()

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
        return redither((root / str(path)).read_bytes(), np.random.default_rng())

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

    async def post(action: str, token: str, body: dict[str, Any]) -> Any:
        if action == "answer":
            return await _write(bounds, record_answer, store, token, body)
        if action == "events":
            count = await _write(bounds, _events, token, body.get("events"))
            return {"stored": count}
        stored = await _write(bounds, set_crowd_id, store, token, body.get("crowd_id"))
        return {"stored": stored}

    def _events(token: str, events: Any) -> int:
        return add_events(store, token, events, limits=bounds)

    async def api(request: Request) -> Response:
        token, action = request.path_params["token"], request.path_params["action"]
        try:
            if request.method == "GET" and action == "state":
                return JSONResponse(await run_in_threadpool(state, token), headers=_HEADERS)
            if request.method == "POST" and action in ("answer", "events", "crowd"):
                body = await _body(request, bounds)
                return JSONResponse(await post(action, token, body), headers=_HEADERS)
            known = action in ("state", "answer", "events", "crowd")
            return _error(405 if known else 404, "method not allowed" if known else "not found")
        except AnswerError as exc:
            return _error(exc.status, exc.message, exc.headers)

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

    async def failed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DatabaseLockedError):
            return _error(503, "the study database is busy", {"Retry-After": str(RETRY_AFTER_S)})
        return _error(500, "internal error")

    routes = [
        Route("/s/{token}", page),
        Route("/static/{name}", static),
        Route("/api/{token}/audio/{stim}", stimulus),
        Route("/api/{token}/{action}", api, methods=["GET", "POST"]),
    ]
    handlers = {404: not_found, 405: not_allowed, Exception: failed}
    return Starlette(routes=routes, exception_handlers=handlers)
