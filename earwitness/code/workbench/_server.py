"""The workbench's ASGI app: one static page and a small JSON API over the study.

Reads and writes run in a thread (the store is synchronous); every write is one call
into :mod:`._write` or :mod:`._stance_queue`, i.e. one transaction. A write is answered
only after it committed, so an acknowledged action survives a killed server.

The app serves the coder's own machine: it refuses a ``Host`` it was not bound to (DNS
rebinding) and writes only from its own page (JSON bodies, same ``Origin``), so another
web site open in the browser cannot code for the coder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from earwitness.code.workbench import _agreement, _group_queue, _read, _stance_queue, _write
from earwitness.code.workbench import _codebook_edit as _edit
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store
from earwitness.webpages import HEADERS as _HEADERS
from earwitness.webpages import PAGE_HEADERS as _PAGE_HEADERS

__all__ = ["MAX_BODY", "WorkbenchConfig", "create_app"]

MAX_BODY = 256 * 1024
_STATIC = {"wb.js": "text/javascript", "wb.css": "text/css"}


@dataclass(frozen=True)
class WorkbenchConfig:
    """Who codes, in which mode, and the agreement flag threshold."""

    coder: str
    blind: bool = False
    threshold: float = 0.667


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
    """The workbench over ``store`` for ``config.coder``, answering requests for ``host``
    (and the loopback names)."""
    coder = config.coder
    hosts = {"127.0.0.1", "localhost", "::1", host}

    def read(work: Callable[[Any], Any]) -> Any:
        with store.connect() as connection:
            return work(connection)

    def documents(q: dict[str, str]) -> Any:
        return read(
            lambda c: _read.list_documents(
                c, coder, platform=q.get("platform") or None, kind=q.get("kind") or None,
                group=q.get("group") or None, coded=q.get("coded") or None,
                code=_optional_int(q.get("code")), search=q.get("q") or None,
                since=q.get("since") or None, until=q.get("until") or None,
                offset=_optional_int(q.get("offset")) or 0,
            )
        )  # fmt: skip

    def start_data() -> dict[str, Any]:
        return read(
            lambda c: {
                "coder": coder,
                "blind": config.blind,
                "backend": store.backend,
                "codebook": _read.codebook_tree(c),
                "filters": _read.filter_options(c),
                "progress": _read.progress(c),
            }
        )

    def post(body: dict[str, Any], action: str, item: int | None) -> Any:
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
            adjudicator = str(_text(body, "adjudicator", required=False) or coder)
            new = _write.resolve_disagreement(
                store, adjudicator, _int(body, "document"), _int(body, "code"),
                _int(body, "start"), _int(body, "end"), resolved,
                _text(body, "memo", required=False),
            )  # fmt: skip
            return {"id": new}
        if action.startswith("code-"):
            return edit_codebook(action, body)
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
            return _stance_queue.stance_progress(store, coder)
        if action == "stance-undo":
            _stance_queue.undo(store, coder, _int(body, "segment"), str(_text(body, "tool")))
            return _stance_queue.stance_progress(store, coder)
        raise _Refused(404, "not found")

    def edit_codebook(action: str, body: dict[str, Any]) -> Any:
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

    def get(action: str, item: int | None, q: dict[str, str]) -> Any:
        if action == "start":
            return start_data()
        if action == "documents" and item is None:
            return documents(q)
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
                "authors": _group_queue.next_authors(store, n, _optional_int(q.get("seed")) or 0)
            }
        if action == "stance":
            n = min(_optional_int(q.get("n")) or 20, 100)
            units = _stance_queue.next_units(store, n, _optional_int(q.get("seed")) or 0)
            return {
                "units": units,
                "progress": _stance_queue.stance_progress(store, coder),
                "provenance": _stance_queue.queue_provenance(store),
                "provenance_rule": _stance_queue.PROVENANCE_RULE,
            }
        raise _Refused(404, "not found")

    def allowed_host(request: Request) -> bool:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        return host in hosts

    async def api(request: Request) -> Response:
        action = request.path_params["action"]
        item = request.path_params.get("item")
        try:
            if not allowed_host(request):
                raise _Refused(421, "this workbench answers only on the address it was bound to")
            if request.method == "POST":
                body = await _body(request)
                return _json(await run_in_threadpool(post, body, action, item))
            return _json(await run_in_threadpool(get, action, item, dict(request.query_params)))
        except _Refused as exc:
            return _json({"error": exc.message}, exc.status)
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
    return Starlette(routes=routes)
