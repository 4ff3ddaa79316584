"""Running the participant app: uvicorn's HTTP/1.1 protocol with deadlines and a limit.

uvicorn closes an idle keep-alive connection, but not one that never finishes its
headers or body, and it accepts every connection. This layer (a subclass of uvicorn's
h11 protocol) closes a connection whose request headers have not all arrived within
``header_timeout_s`` of its first byte being awaited, or whose body has not arrived
within ``body_timeout_s`` (plus a second, so that the app's own 408 goes out first),
and answers a connection beyond ``max_connections`` with 503 and closes it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from earwitness.analysis.listening._limits import ServerLimits
from earwitness.analysis.listening._server import RETRY_AFTER_S, create_app
from earwitness.store import Store

__all__ = ["guarded_protocol", "serve", "server_config"]

_FULL_BODY = json.dumps({"error": "the server is full; try again shortly"}).encode()
_FULL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    + f"retry-after: {RETRY_AFTER_S}\r\ncontent-length: {len(_FULL_BODY)}\r\n".encode()
    + b"connection: close\r\n\r\n"
    + _FULL_BODY
)


class _Guarded(H11Protocol):
    limits: ClassVar[ServerLimits]
    _deadline: asyncio.TimerHandle | None = None
    _awaited: Any = None
    _refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if len(self.connections) >= self.limits.max_connections:
            self._refused = True
            self.transport = transport  # type: ignore[assignment]
            transport.write(_FULL)  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)  # type: ignore[arg-type]
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def _watch(self) -> None:
        """Arm the deadline of the part of the request that is awaited, if any."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm(self.limits.body_timeout_s + 1.0, h11.SEND_BODY)
        elif state is h11.IDLE and self.timeout_keep_alive_task is None:
            self._arm(self.limits.header_timeout_s, h11.IDLE)  # headers awaited
        else:  # idle between requests (uvicorn's keep-alive timeout) or answering
            self._cancel()

    def _arm(self, seconds: float, state: Any) -> None:
        if self._deadline is not None and self._awaited is state:
            return
        self._cancel()
        self._awaited = state
        self._deadline = self.loop.call_later(seconds, self._expire, state)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, state: Any) -> None:  # the awaited part never came
        self._deadline = None
        if self.conn.their_state is state and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: ServerLimits) -> type[asyncio.Protocol]:
    """The h11 protocol class bound to ``limits``."""
    return type("GuardedH11Protocol", (_Guarded,), {"limits": limits})


def server_config(store: Store, root: Path, host: str, port: int, limits: ServerLimits) -> Any:
    """The uvicorn configuration of the participant app with every bound applied."""
    import uvicorn

    return uvicorn.Config(
        create_app(store, root, limits),
        host=host,
        port=port,
        log_level="warning",
        http=guarded_protocol(limits),
        timeout_keep_alive=limits.keep_alive_s,  # type: ignore[arg-type]
        lifespan="off",
    )


def serve(store: Store, root: Path, host: str, port: int, limits: ServerLimits) -> None:
    """Serve the participant app until interrupted."""
    import uvicorn

    uvicorn.Server(server_config(store, root, host, port, limits)).run()
