"""The workbench's ASGI app: one static page and a small JSON API over the study.

Reads and writes run in a thread (the store is synchronous); every write is one call
into :mod:`._write` or :mod:`._stance_queue`, i.e. one transaction. A write is answered
only after it committed, so an acknowledged action survives a killed server.

The app refuses a ``Host`` it was not bound to (DNS rebinding) and writes only from its
own page (JSON bodies, same ``Origin``), so another web site open in the browser cannot
code for the coder. Bound beyond loopback, or on a shared (PostgreSQL) study, it answers
only coders signed in with their token (:mod:`._tokens`): the page sends it once, and the
server keeps it in an HttpOnly, SameSite=Strict cookie; it is never in a URL or a log.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from earwitness.code.workbench import (
    _agreement,
    _group_queue,
    _read,
    _stance_queue,
    _stance_team,
    _tokens,
    _write,
)
from earwitness.code.workbench import _codebook_edit as _edit
from earwitness.code.workbench._retrain import Retrainer
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store
from earwitness.webpages import HEADERS as _HEADERS
from earwitness.webpages import PAGE_HEADERS as _PAGE_HEADERS

__all__ = ["LOOPBACK", "MAX_BODY", "WorkbenchConfig", "create_app", "needs_tokens"]

MAX_BODY = 256 * 1024
_STATIC = {"wb.js": "text/javascript", "wb.css": "text/css"}
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class WorkbenchConfig:
    """Who codes (``coder``, unless coders sign in with tokens), in which mode, the
    agreement flag threshold, the share of stance units labelled twice and after how many
    labels the stance model retrains (0: never). ``tokens`` None means :func:`needs_tokens`."""

    coder: str = ""
    blind: bool = False
    threshold: float = 0.667
    tokens: bool | None = None
    double_share: float = 0.0
    retrain_batch: int = 0


def needs_tokens(backend: str, host: str) -> bool:
    """Coders sign in with a token when the server is bound beyond loopback or the study
    is shared (on PostgreSQL, see docs/team.md)."""
    return backend == "PostgreSQL" or host not in LOOPBACK


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _asset(name: str) -> bytes:
    return resources.files("earwitness.code.workbench").joinpath("static", name).read_bytes()


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_HEADERS)


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise _Refused(415, "send JSON (Content-Type: application/json)")
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
        raise _Refused(403, "writes come only from the workbench's own page")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise _Refused(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _Refused(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _Refused(400, "the body is a JSON object")
    return body


def _int(data: Any, name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadInputError(f"{name} is a whole number", field=name)
    try:
        return int(value)
    except ValueError:
        raise BadInputError(f"{name} is a whole number, not {value!r}", field=name) from None


def _text(data: Any, name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadInputError(f"{name} is text", field=name)
    return value


def _optional_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def create_app(store: Store, config: WorkbenchConfig, host: str = "127.0.0.1") -> Starlette:
    """The workbench over ``store`` for ``config.coder`` (or for the coder each request's
    token names), answering requests for ``host`` (and the loopback names)."""
    hosts = {*LOOPBACK, host}
    tokens = needs_tokens(store.backend, host) if config.tokens is None else config.tokens
    if not tokens and not config.coder:
        raise BadInputError("name the coder: --coder NAME (or $EARWITNESS_CODER)", field="coder")
    retrainer = Retrainer(store, config.retrain_batch)

    def read(work: Callable[[Any], Any]) -> Any:
        with store.connect() as connection:
            return work(connection)

    def documents(q: dict[str, str], coder: str) -> Any:
        return read(
            lambda c: _read.list_documents(
                c, coder, platform=q.get("platform") or None, kind=q.get("kind") or None,
                group=q.get("group") or None, coded=q.get("coded") or None,
                code=_optional_int(q.get("code")), search=q.get("q") or None,
                since=q.get("since") or None, until=q.get("until") or None,
                offset=_optional_int(q.get("offset")) or 0,
            )
        )  # fmt: skip

    def start_data(coder: str) -> dict[str, Any]:
        return read(
            lambda c: {
                "coder": coder,
                "tokens": tokens,
                "blind": config.blind,
                "backend": store.backend,
                "codebook": _read.codebook_tree(c),
                "filters": _read.filter_options(c),
                "progress": _read.progress(c),
            }
        )

    def post(body: dict[str, Any], action: str, item: int | None, coder: str) -> Any:
        if action == "apply":
            return {"id": _write.apply_span(store, coder, _int(body, "document"),
                                            _int(body, "start"), _int(body, "end"),
                                            str(_text(body, "code")))}  # fmt: skip
        if action == "remove" and item is not None:
            _write.remove_coding(store, coder, item, _write.Expected.of(body.get("expected")))
            return {"removed": item}
        if action == "adjust" and item is not None:
            expected = _write.Expected.of(body.get("expected"))
            new = _write.adjust_coding(
                store, coder, item, expected, _int(body, "start"), _int(body, "end")
            )
            return {"id": new}
        if action == "coding-memo" and item is not None:
            prior = _text(body, "prior", required=False)
            _write.set_coding_memo(store, coder, item, prior, str(_text(body, "memo")))
            return {"id": item}
        if action == "memo":
            prior = _text(body, "prior", required=False)
            target, text = str(_text(body, "target")), str(_text(body, "text"))
            note = _write.set_note(store, coder, target, _int(body, "id"), prior, text)
            return {"note": note}
        if action == "in-vivo":
            guid, new = _write.in_vivo(store, coder, _int(body, "document"), _int(body, "start"),
                                       _int(body, "end"), _text(body, "parent", required=False),
                                       _text(body, "name", required=False))  # fmt: skip
            return {"code": guid, "id": new}
        if action == "done":
            _write.mark_done(store, coder, _int(body, "document"), bool(body.get("done")))
            return {"done": bool(body.get("done"))}
        if action == "resolve":
            resolved = body.get("resolved")
            if not isinstance(resolved, list) or not all(isinstance(i, int) for i in resolved):
                raise BadInputError("resolved is a list of coding ids", field="resolved")
            adjudicator = adjudicator_of(body, coder)
            new = _write.resolve_disagreement(
                store, adjudicator, _int(body, "document"), _int(body, "code"),
                _int(body, "start"), _int(body, "end"), resolved,
                _text(body, "memo", required=False),
            )  # fmt: skip
            return {"id": new}
        if action.startswith("code-"):
            return edit_codebook(action, body, coder)
        if action in ("accept", "reject") and item is not None:
            from earwitness.code.assist import accept_suggestion, reject_suggestion

            if action == "accept":
                return {"id": accept_suggestion(store, item, coder)}
            reject_suggestion(store, item, coder)
            return {"rejected": item}
        if action == "group-label":
            pseudonym, group = str(_text(body, "author")), str(_text(body, "group"))
            _group_queue.label_author(store, coder, pseudonym, group)
            return {"author": pseudonym, "group": group}
        if action == "group-undo":
            _group_queue.unlabel_author(store, str(_text(body, "author")))
            return {"author": body.get("author")}
        if action == "stance-label":
            _stance_queue.label(store, coder, _int(body, "segment"), str(_text(body, "tool")),
                                str(_text(body, "stance")))  # fmt: skip
            retrainer.labelled()
            return {**_stance_queue.stance_progress(store, coder), "training": retrainer.status()}
        if action == "stance-undo":
            _stance_queue.undo(store, coder, _int(body, "segment"), str(_text(body, "tool")))
            return {**_stance_queue.stance_progress(store, coder), "training": retrainer.status()}
        if action == "stance-resolve":
            segment, tool = _int(body, "segment"), str(_text(body, "tool"))
            _stance_team.resolve_stance(store, adjudicator_of(body, coder), segment, tool,
                                        str(_text(body, "stance")))  # fmt: skip
            return {"segment": segment, "tool": tool}
        raise _Refused(404, "not found")

    def adjudicator_of(body: dict[str, Any], coder: str) -> str:
        """Signed in with tokens, a coder adjudicates only under their own name."""
        if tokens:
            return coder
        return str(_text(body, "adjudicator", required=False) or coder)

    def stance_figures(coder: str) -> dict[str, Any]:
        return {
            "progress": _stance_queue.stance_progress(store, coder),
            "provenance": _stance_queue.queue_provenance(store),
            "provenance_rule": _stance_queue.PROVENANCE_RULE,
            "pairs": _stance_team.coder_pairs(store),
            "training": retrainer.status(),
        }

    def edit_codebook(action: str, body: dict[str, Any], coder: str) -> Any:
        guid = _text(body, "code", required=False)
        parent = _text(body, "parent", required=False) or None
        fields: dict[str, Any] = body["fields"] if isinstance(body.get("fields"), dict) else {}
        if action == "code-add":
            new, version = _edit.add_code(store, coder, parent, fields)
            return {"code": new, "version": version}
        if guid is None:
            raise BadInputError("name the code by its guid", field="code")
        if action == "code-edit":
            expected: dict[str, Any] = (
                body["expected"] if isinstance(body.get("expected"), dict) else {}
            )
            return {"version": _edit.edit_code(store, coder, guid, expected, fields)}
        if action == "code-move":
            return {"version": _edit.move_code(store, coder, guid, parent)}
        if action == "code-merge":
            into = str(_text(body, "into"))
            definition = _text(body, "definition", required=False)
            return {"version": _edit.merge_codes(store, coder, guid, into, definition)}
        raise _Refused(404, "not found")

    def get(action: str, item: int | None, q: dict[str, str], coder: str) -> Any:
        if action == "start":
            return start_data(coder)
        if action == "documents" and item is None:
            return documents(q, coder)
        if action == "documents" and item is not None:
            return read(lambda c: _read.document_view(c, item, coder, blind=config.blind))
        if action == "codebook-history":
            return read(_edit.codebook_history)
        if action == "agreement":
            return read(lambda c: _agreement.agreement_view(c, config.threshold))
        if action == "disagreements":
            a, b = q.get("a", ""), q.get("b", "")
            return read(lambda c: _agreement.disagreements(c, a, b, done_only=config.blind))
        if action == "groups":
            n = min(_optional_int(q.get("n")) or 10, 100)
            return {
                "authors": _group_queue.next_authors(
                    store, n, _optional_int(q.get("seed")) or 0, q.get("strategy") or "uncertainty"
                )
            }
        if action == "stance":
            n = min(_optional_int(q.get("n")) or 20, 100)
            seed = (_optional_int(q.get("seed")) or 0) + zlib.crc32(coder.encode())
            units = _stance_queue.next_units(
                store, n, seed, coder=coder, double_share=config.double_share
            )
            return {"units": units, **stance_figures(coder)}
        if action == "stance-figures":
            return stance_figures(coder)
        if action == "stance-status":
            return retrainer.status()
        if action == "stance-disagreements":
            return _stance_team.stance_disagreements(store, q.get("a", ""), q.get("b", ""))
        raise _Refused(404, "not found")

    def allowed_host(request: Request) -> bool:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        return host in hosts

    def cookie(request: Request) -> str:
        return f"ew_wb_{request.url.port or 0}"  # per port: two workbenches on one host

    async def signed_in(request: Request) -> str:
        if not tokens:
            return config.coder
        token = request.cookies.get(cookie(request), "")
        found = await run_in_threadpool(_tokens.coder_for_token, store, token) if token else None
        if found is None:
            raise _Refused(401, "sign in with your coder token")
        return found

    async def sign_in(request: Request, body: dict[str, Any]) -> Response:
        token = str(_text(body, "token")).strip()
        found = await run_in_threadpool(_tokens.coder_for_token, store, token)
        if found is None:
            raise _Refused(401, "that token is not valid: mistyped, or revoked")
        response = _json({"coder": found})
        response.set_cookie(cookie(request), token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")  # fmt: skip
        return response

    async def api(request: Request) -> Response:
        action = request.path_params["action"]
        item = request.path_params.get("item")
        try:
            if not allowed_host(request):
                raise _Refused(421, "this workbench answers only on the address it was bound to")
            body = await _body(request) if request.method == "POST" else {}
            if action == "login" and request.method == "POST" and tokens:
                return await sign_in(request, body)
            if action == "logout" and request.method == "POST":
                response = _json({"signed_out": True})
                response.delete_cookie(cookie(request), path="/")
                return response
            coder = await signed_in(request)
            if request.method == "POST":
                return _json(await run_in_threadpool(post, body, action, item, coder))
            query = dict(request.query_params)
            return _json(await run_in_threadpool(get, action, item, query, coder))
        except _Refused as exc:
            return _json({"error": exc.message, "login": exc.status == 401}, exc.status)
        except _write.ConflictError as exc:
            return _json({"error": str(exc), "conflict": True}, 409)
        except BadInputError as exc:
            return _json({"error": exc.message, "field": exc.field}, 400)
        except EarwitnessError as exc:
            return _json({"error": str(exc)}, 400)

    async def page(request: Request) -> Response:
        if not allowed_host(request):
            return _json({"error": "wrong host"}, 421)
        return Response(_asset("index.html"), media_type="text/html", headers=_PAGE_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return _json({"error": "not found"}, 404)
        return Response(_asset(name), media_type=_STATIC[name], headers=_HEADERS)

    routes = [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/api/{action}", api, methods=["GET", "POST"]),
        Route("/api/{action}/{item:int}", api, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.retrainer = retrainer
    return app
