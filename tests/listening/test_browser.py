"""A real browser (Debian's chromium through Playwright; no browser download)."""

from __future__ import annotations

import dataclasses
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from earwitness.analysis.listening import create_test, new_session, ratings_frame
from earwitness.analysis.listening._limits import ServerLimits
from earwitness.analysis.listening._server import create_app
from earwitness.store import schema as s

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
FORBIDDEN = ("human", "landr", "ozone", "ai:", ".wav", ".flac", "vibe")


@contextmanager
def _serving(store, root, limits: ServerLimits | None = None) -> Iterator[str]:
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(store, root, limits), host="127.0.0.1", port=0, log_level="warning"
    )
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not app_server.started:
        time.sleep(0.05)
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        app_server.should_exit = True
        thread.join(10)
        listener.close()


@pytest.fixture
def server(audio_study):
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: apt-get install chromium (.ci/run does)")
    study, store = audio_study
    create_test(store, study, "web", "mushra", reference="human", start=3.0, excerpt_s=4.0)
    with _serving(store, study.root) as base:
        yield study, store, base


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def test_a_full_session_in_the_browser(server, browser, tmp_path) -> None:
    study, store, base = server
    token = new_session(store, study, "web")
    page = browser.new_page()
    bodies: list[bytes] = []

    def record(route) -> None:  # every response, body and headers, as the page receives it
        response = route.fetch()
        bodies.append(route.request.url.encode() + str(response.headers).encode() + response.body())
        route.fulfill(response=response)

    page.route("**/*", record)
    page.goto(f"{base}/s/{token}?crowd_id=cw-42")
    page.click("#welcome-start")
    page.click("#volume-play")
    page.click("#volume-done")
    page.wait_for_selector("#begin")
    page.screenshot(path=str(tmp_path / "training.png"))
    page.click("#begin")
    page.wait_for_selector("#submit")
    page.click("#play")
    page.locator(".column button").nth(1).click()  # switch while playing
    page.click("#play")  # stop
    sliders = page.locator(".column input[type=range]")
    for i in range(sliders.count()):
        sliders.nth(i).fill(str(60 + i))
        sliders.nth(i).dispatch_event("change")
    page.screenshot(path=str(tmp_path / "trial.png"), full_page=True)
    page.reload()  # resume: the unanswered trial comes back
    page.wait_for_selector("#submit")
    for i in range(sliders.count()):
        sliders.nth(i).fill(str(60 + i))
    page.click("#submit")
    page.wait_for_selector("#completion-code")
    page.screenshot(path=str(tmp_path / "done.png"))
    frame = ratings_frame(store, "web")
    assert len(frame) == 5 and sorted(frame["score"]) == [60.0, 61.0, 62.0, 63.0, 64.0]
    with store.connect() as connection:
        digests = connection.scalars(sa.select(s.listening_stimuli.c.sha256)).all()
        digests += connection.scalars(sa.select(s.audio_files.c.sha256)).all()
        kinds = set(connection.scalars(sa.select(s.listening_events.c.kind)).all())
        crowd = connection.scalar(
            sa.select(s.listening_sessions.c.crowd_id).where(s.listening_sessions.c.token == token)
        )
    assert crowd == "cw-42"
    assert {"play", "switch", "stop", "slider", "stage"} <= kinds
    assert sum(b"/audio/" in body for body in bodies) >= 2 * 6  # both loads of the trial
    everything = b"\n".join(bodies).lower()
    for word in [*FORBIDDEN, *digests]:
        assert word.encode() not in everything, word
    assert all((tmp_path / f).stat().st_size > 0 for f in ("training.png", "trial.png", "done.png"))


def test_the_switching_engine_is_sample_exact_offline(server, browser) -> None:
    study, store, base = server
    token = new_session(store, study, "web")
    page = browser.new_page()
    page.goto(f"{base}/s/{token}")
    rate, length, at = 48000, 48000, 0.25
    rendered = page.evaluate(
        """async ([rate, length, at]) => {
          const ctx = new OfflineAudioContext(1, length, rate);
          const a = ctx.createBuffer(1, length, rate), b = ctx.createBuffer(1, length, rate);
          const da = a.getChannelData(0), db = b.getChannelData(0);
          for (let n = 0; n < length; n++) { da[n] = (n + 1) / length; db[n] = -(n + 1) / length; }
          const engine = new window.EarwitnessEngine(ctx, [a, b]);
          engine.start(0, 0);
          engine.switchTo(1, at);
          const out = await ctx.startRendering();
          return Array.from(out.getChannelData(0));
        }""",
        [rate, length, at],
    )
    out = np.array(rendered, dtype=np.float64)
    n = np.arange(length)
    a, b = (n + 1) / length, -(n + 1) / length
    start, fade = round(at * rate), round(0.005 * rate)
    np.testing.assert_array_equal(out[:start].astype(np.float32), a[:start].astype(np.float32))
    after = start + 2 * fade + 1
    np.testing.assert_array_equal(out[after:].astype(np.float32), b[after:].astype(np.float32))
    gain_out = out[start : start + fade] / a[start : start + fade]
    gain_in = out[start + fade + 1 : start + 2 * fade] / b[start + fade + 1 : start + 2 * fade]
    x = np.arange(fade) / fade
    assert np.all(np.diff(gain_out) <= 1e-6) and np.all(np.diff(gain_in) >= -1e-6)
    np.testing.assert_allclose(gain_out, 0.5 + 0.5 * np.cos(np.pi * x), atol=0.02)
    assert np.all(out[start : start + fade] >= 0)  # no cross-fade: B is silent while A fades


@pytest.fixture
def other_designs(server):
    study, store, base = server
    create_test(store, study, "pref", "ab", reference="human", start=3.0, excerpt_s=3.0)
    create_test(store, study, "noref", "mushra-noref", conditions=["*"], start=3.0, excerpt_s=3.0)
    return study, store, base


def _start(page) -> None:
    page.click("#welcome-start")
    page.click("#volume-done")
    page.click("#begin")


def test_ab_pages_in_the_browser(other_designs, browser, tmp_path) -> None:
    study, store, base = other_designs
    token = new_session(store, study, "pref")
    page = browser.new_page()
    page.goto(f"{base}/s/{token}")
    _start(page)
    for trial in range(4):
        page.wait_for_selector(f"text=Page {trial + 1} of 4")
        if trial == 0:
            page.check("text=clarity")
            page.screenshot(path=str(tmp_path / "ab.png"), full_page=True)
        page.check("input[value=A]" if trial % 2 else "input[value=none]")
        page.click("#submit")
    page.wait_for_selector("#completion-code")
    frame = ratings_frame(store, "pref")
    assert len(frame) == 4 and (frame["answer"] == "A").sum() == 2
    assert frame.sort_values("presented")["tags"].iloc[0] == ["clarity"]


def test_a_test_without_reference_is_never_called_mushra(other_designs, browser, tmp_path) -> None:
    study, store, base = other_designs
    token = new_session(store, study, "noref")
    page = browser.new_page()
    seen: list[str] = []
    page.goto(f"{base}/s/{token}")
    seen.append(page.content())
    _start(page)
    page.wait_for_selector("#submit")
    sliders = page.locator(".column input[type=range]")
    assert sliders.count() == 3 and page.locator("text=Reference").count() == 0
    for i in range(sliders.count()):
        sliders.nth(i).fill(str(30 + i))
    seen.append(page.content())
    page.screenshot(path=str(tmp_path / "noref.png"), full_page=True)
    page.click("#submit")
    page.wait_for_selector("#completion-code")
    seen.append(page.content())
    assert all("mushra" not in text.lower() for text in seen)
    assert len(ratings_frame(store, "noref")) == 3


def test_the_headphone_check_is_logged_not_blocking(server, browser) -> None:
    study, store, base = server
    create_test(
        store, study, "hp", "ab", reference="human", start=3.0, excerpt_s=2.0, headphone_check=True
    )
    token = new_session(store, study, "hp")
    page = browser.new_page()
    page.goto(f"{base}/s/{token}")
    page.click("#welcome-start")
    for _ in range(6):
        page.wait_for_selector("text=Which of the three tones is the quietest?")
        page.click("text=Tone 1")
    page.wait_for_selector("#volume-done")
    page.click("#volume-done")
    page.wait_for_selector("#begin")
    page.evaluate("flush()")
    with store.connect() as connection:
        details = connection.scalars(
            sa.select(s.listening_events.c.detail).where(s.listening_events.c.kind == "headphone")
        ).all()
    assert len(details) == 1 and details[0]["trials"] == 6 and 0 <= details[0]["correct"] <= 6


def _to_first_trial(page, base: str, token: str) -> None:
    page.goto(f"{base}/s/{token}")
    page.click("#welcome-start")
    page.click("#volume-done")
    page.click("#begin")
    page.wait_for_selector("#submit")


def _rate_all(page, first: int) -> None:
    sliders = page.locator(".column input[type=range]")
    for i in range(sliders.count()):
        sliders.nth(i).fill(str(first + i))


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_every_slider_lies_on_the_card_on_a_phone_and_a_desktop(
    server, browser, tmp_path, size
) -> None:
    study, store, base = server
    token = new_session(store, study, "web")
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    _to_first_trial(page, base, token)
    page.screenshot(path=str(tmp_path / f"mushra-{width}.png"), full_page=True)
    card = page.locator(".card").bounding_box()
    assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= width + 0.5
    controls = page.locator(".column input[type=range], .column button, #submit")
    assert controls.count() == 5 + 6 + 1  # five sliders, the reference and five slot buttons
    for i in range(controls.count()):
        box = controls.nth(i).bounding_box()
        assert box is not None
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], i
        assert card["y"] <= box["y"] and box["y"] + box["height"] <= card["y"] + card["height"], i
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll


def test_after_a_conflicting_answer_the_page_recovers(server, browser, tmp_path) -> None:
    import httpx

    study, store, base = server
    token = new_session(store, study, "web")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _to_first_trial(page, base, token)
    _rate_all(page, 20)
    slots = httpx.get(f"{base}/api/{token}/state").json()["trial"]["slots"]
    other_tab = {"trial": 0, "ratings": dict.fromkeys(slots, 77)}
    assert httpx.post(f"{base}/api/{token}/answer", json=other_tab).status_code == 200
    page.click("#submit")  # 409: this trial was answered in the other tab
    page.wait_for_selector("#completion-code", timeout=10_000)
    assert "already been answered" in page.inner_text("#message")
    page.screenshot(path=str(tmp_path / "recovered.png"), full_page=True)
    assert ratings_frame(store, "web")["score"].tolist() == [77.0] * 5  # the first answer stays


@pytest.mark.slow
def test_a_locked_database_makes_the_page_wait_and_retry(audio_study, browser, tmp_path) -> None:
    study, store = audio_study
    create_test(store, study, "web", "mushra", reference="human", start=3.0, excerpt_s=2.0)
    token = new_session(store, study, "web")
    limits = dataclasses.replace(ServerLimits.from_settings(), busy_retry_s=0.0)
    with _serving(store, study.root, limits) as base:
        page = browser.new_page()
        _to_first_trial(page, base, token)
        _rate_all(page, 40)
        ready, release = threading.Event(), threading.Event()

        def hold() -> None:  # another command holds the write lock until the page waits
            connection = sqlite3.connect(study.root / "study.db", isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            ready.set()
            release.wait(30)
            connection.execute("ROLLBACK")
            connection.close()

        holder = threading.Thread(target=hold)
        holder.start()
        ready.wait(10)
        try:
            page.click("#submit")
            page.wait_for_selector("#message.wait", timeout=25_000)  # 5 s per busy try
            waiting = page.inner_text("#message")
            page.screenshot(path=str(tmp_path / "busy.png"), full_page=True)
        finally:
            release.set()
            holder.join()
        page.wait_for_selector("#completion-code", timeout=20_000)
    assert "please wait" in waiting and "nothing is lost" in waiting
    assert ratings_frame(store, "web")["score"].tolist() == [40.0, 41.0, 42.0, 43.0, 44.0]
