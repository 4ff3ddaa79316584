"""A small study for the workbench: hand-written posts (illustrative, no real person), with
the Unicode the offsets must survive, the test codebook, segments and tool mentions."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earwitness.code import load_codebook_yaml, segment_documents, write_codebook
from earwitness.code.workbench import WorkbenchConfig, add_token, create_app
from earwitness.store import DocumentRecord, Store, ensure_participant, set_user_group
from earwitness.store.records import record_source, upsert_document
from tests.code.conftest import SMALL_CODEBOOK

# Emoji outside the BMP (two UTF-16 units), a combining mark, CJK, CRLF line ends, and
# markup that must stay text.
UNICODE_POST = (
    "Mastered with LANDR 🎧🔥 and it sounded finished.\r\n"
    "The cafe\u0301 demo was harsh on the hats.\r\n"
    "音がきれい, but I want more knobs. <img src=x onerror=alert(1)>"
)
TOOLS = ("LANDR", "Ozone", "CloudBounce", "eMastered")
PHRASES = (
    "I tried {t} on my mix and it was great, honestly.",
    "{t} made the master harsh and squashed.",
    "Some like {t}, some hate it; for me it is fine for demos but not releases.",
    "{t} has a free trial this month.",
)


def posts(n: int = 24) -> dict[str, tuple[str, str]]:
    found = {"u1": ("amateur", UNICODE_POST)}
    for i in range(n):
        tool, phrase = TOOLS[i % 4], PHRASES[(i // 4) % 4]
        group = ("amateur", "pro-am", "professional")[i % 3]
        found[f"p{i:02d}"] = (group, phrase.format(t=tool) + f" Track {i} is the test.")
    return found


def fill(store: Store, tmp_path: Path, n: int = 24) -> dict[str, int]:
    ids = {}
    with store.transaction() as connection:
        source = record_source(connection, "forum", url="https://forum.invalid/t")
        for native_id, (group, text) in posts(n).items():
            participant = ensure_participant(connection, f"p_wb{native_id}")
            set_user_group(connection, participant, group, method="test")
            ids[native_id], _ = upsert_document(
                connection,
                DocumentRecord(platform="forum", native_id=native_id, text=text,
                               participant_id=participant, source_id=source),
            )  # fmt: skip
    path = tmp_path / "codebook.yaml"
    path.write_text(SMALL_CODEBOOK, encoding="utf-8")
    write_codebook(store, load_codebook_yaml(path))
    segment_documents(store, short_post_chars=60)
    from earwitness.code.assist import Gazetteer, find_mentions

    find_mentions(store, Gazetteer())
    return ids


@pytest.fixture
def wb_study(any_study, tmp_path: Path) -> Iterator[tuple[Store, dict[str, int]]]:
    with any_study.open_store() as store:
        yield store, fill(store, tmp_path)


class Served:
    """A workbench in a thread; on a shared (PostgreSQL) study ``token`` signs its coder in."""

    def __init__(self, store: Store, config: WorkbenchConfig) -> None:
        import uvicorn

        self.token = add_token(store, config.coder) if store.backend == "PostgreSQL" else ""

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(store, config), host="127.0.0.1", port=self.port,
                           log_level="warning")
        )  # fmt: skip
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    def open(self, page: Any, path: str = "/") -> None:
        """Open ``path`` in a Playwright page, signing in first when the study is shared."""
        page.goto(f"{self.url}{path}")
        if self.token:
            page.wait_for_selector("#sign-in")
            page.fill("#token", self.token)
            page.click("#sign-in button[type=submit]")
            page.wait_for_selector("#sign-out")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[Served] = []

    def start(store: Store, coder: str, *, blind: bool = False, **config: Any) -> Served:
        started.append(Served(store, WorkbenchConfig(coder=coder, blind=blind, **config)))
        return started[-1]

    yield start
    for served in started:
        served.stop()


CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: apt-get install chromium (.ci/run does)")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()
