"""The participant server against hostile clients: nesting, numbers, floods, locks, hashes.

Real parts throughout: the study's SQLite database (locked by a second real connection),
real WAV stimuli decoded and measured, and (test_sockets.py) a real uvicorn server.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import sqlite3
import threading
import time

import pytest
import soundfile as sf
import sqlalchemy as sa
from starlette.testclient import TestClient

from earwitness.analysis.listening import create_test, new_session, ratings_frame
from earwitness.analysis.listening._limits import MAX_DEPTH, ServerLimits
from earwitness.analysis.listening._server import create_app
from earwitness.analysis.listening._sessions import AnswerError
from earwitness.analysis.metrics import integrated_loudness
from earwitness.store import schema as s


def _limits(**changes: float) -> ServerLimits:
    return dataclasses.replace(ServerLimits.from_settings(), **changes)  # type: ignore[arg-type]


@pytest.fixture
def mushra(audio_study):
    study, store = audio_study
    create_test(store, study, "m", "mushra", reference="human", start=3.0, excerpt_s=2.0)
    return study, store


def _client(study, store, **limits: float) -> TestClient:
    return TestClient(create_app(store, study.root, _limits(**limits)))


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _events(store) -> int:
    with store.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(s.listening_events)))


def test_types_are_checked_before_the_order(mushra) -> None:
    study, store = mushra
    client = _client(study, store)
    token = new_session(store, study, "m")
    slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
    good = dict.fromkeys(slots, 50)
    cases = [
        ({"trial": 3, "ratings": "none"}, 422),  # malformed and to the wrong trial
        ({"trial": 3, "ratings": {slots[0]: "high"}}, 422),
        ({"trial": True, "ratings": good}, 422),  # a boolean is no trial number
        ({"trial": 0.0, "ratings": good}, 422),  # nor is a float
        ({"trial": "0", "ratings": good}, 422),
        ({"trial": 3, "ratings": good}, 409),  # well formed, wrong trial
    ]
    for answer, status in cases:
        response = client.post(f"/api/{token}/answer", json=answer)
        assert (response.status_code, "error" in response.json()) == (status, True), answer
    assert ratings_frame(store, "m").empty
    assert (
        client.post(f"/api/{token}/answer", json={"trial": 0, "ratings": good}).status_code == 200
    )


def test_abx_booleans_are_not_trial_numbers(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "x", "abx", reference="human", start=3.0, excerpt_s=2.0)
    client = _client(study, store)
    token = new_session(store, study, "x")
    assert (
        client.post(f"/api/{token}/answer", json={"trial": False, "choice": "A"}).status_code == 422
    )
    assert client.post(f"/api/{token}/answer", json={"trial": 5, "choice": "Q"}).status_code == 422
    assert client.post(f"/api/{token}/answer", json={"trial": 5, "choice": "A"}).status_code == 409
    assert ratings_frame(store, "x").empty


def test_deep_nesting_and_huge_numbers_get_400_and_store_nothing(mushra) -> None:
    study, store = mushra
    client = _client(study, store)
    token = new_session(store, study, "m")

    def event(t: str, detail: str) -> str:
        return (
            '{"events": [{"kind": "play", "trial": 0, "t": ' + t + ', "detail": ' + detail + "}]}"
        )

    bodies = {
        "answer": [
            '{"trial": 0, "ratings": ' + _nested(30_000) + "}",
            '{"trial": 0, "ratings": {"a": ' + _nested(1_000) + "}}",
            '{"trial": ' + "9" * 400 + ', "ratings": {}}',
        ],
        "events": [
            event("1", '{"x": ' + _nested(1_000) + "}"),
            event("1", '{"x": ' + _nested(30_000) + "}"),
            event("9" * 400, "{}"),
            event("1e400", "{}"),
            event("NaN", "{}"),
        ],
    }
    for action, texts in bodies.items():
        for text in texts:
            response = client.post(f"/api/{token}/{action}", content=text.encode())
            assert response.status_code == 400, (text[:60], response.text)
            assert "error" in response.json()
    # nesting inside strings is text, not structure; MAX_DEPTH itself is allowed
    inside = json.dumps({"events": [{"kind": "play", "t": 1, "detail": {"s": "[[[" * 99}}]})
    assert client.post(f"/api/{token}/events", content=inside.encode()).status_code == 200
    deepest = {"events": [{"kind": "play", "t": 2, "detail": json.loads(_nested(MAX_DEPTH - 4))}]}
    deepest["events"][0]["detail"] = {"d": deepest["events"][0]["detail"]}
    assert client.post(f"/api/{token}/events", json=deepest).status_code == 200
    assert ratings_frame(store, "m").empty and _events(store) == 2


def test_the_event_log_of_a_session_is_bounded_with_429(mushra) -> None:
    study, store = mushra
    client = _client(study, store, events_per_session=30, event_bytes_per_session=4_000)
    token, other = new_session(store, study, "m"), new_session(store, study, "m")
    batch = {"events": [{"kind": "slider", "trial": 0, "t": 1.5, "detail": {"v": 1}}] * 10}
    statuses = [client.post(f"/api/{token}/events", json=batch).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.post(f"/api/{token}/events", json=batch)
    assert refused.json()["error"].startswith("this session has logged")
    big = {"events": [{"kind": "slider", "trial": 0, "t": 1, "detail": {"x": "y" * 900}}] * 5}
    assert client.post(f"/api/{other}/events", json=big).status_code == 429  # 4,500 characters
    assert (
        client.post(f"/api/{other}/events", json={"events": big["events"][:4]}).status_code == 200
    )
    assert (
        client.post(f"/api/{other}/events", json={"events": big["events"][:1]}).status_code == 429
    )
    assert _events(store) == 30 + 4
    # answers are not events: the session still completes
    slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
    answer = {"trial": 0, "ratings": dict.fromkeys(slots, 40)}
    assert client.post(f"/api/{token}/answer", json=answer).status_code == 200


def _decoded(data: bytes):
    samples, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    return samples, rate


def test_no_two_downloads_share_their_bytes_and_loudness_stays_matched(mushra) -> None:
    study, store = mushra
    client = _client(study, store)
    token = new_session(store, study, "m")
    trial = client.get(f"/api/{token}/state").json()["trial"]
    tokens = [trial["reference"], *trial["slots"]]
    downloads = [client.get(f"/api/{token}/audio/{t}").content for t in tokens]
    downloads += [client.get(f"/api/{token}/audio/{trial['reference']}").content]  # again
    digests = {hashlib.sha256(d).hexdigest() for d in downloads}
    assert len(digests) == len(downloads)  # the hidden reference is not the reference's bytes
    assert len({len(d) for d in downloads}) == 1
    with store.connect() as connection:
        plan = connection.scalar(
            sa.select(s.listening_sessions.c.plan).where(s.listening_sessions.c.token == token)
        )
        stored = dict(
            connection.execute(
                sa.select(s.listening_stimuli.c.id, s.listening_stimuli.c.path)
            ).all()
        )
        config = connection.scalar(sa.select(s.listening_tests.c.config))
    (first,) = plan["trials"]
    by_token = {first["reference"]["token"]: (first["reference"]["stimulus"], "reference")}
    by_token |= {x["token"]: (x["stimulus"], x["role"]) for x in first["slots"]}
    for stim, data in zip([*tokens, trial["reference"]], downloads, strict=True):
        stimulus, role = by_token[stim]
        samples, rate = _decoded(data)
        original, _ = _decoded((study.root / stored[stimulus]).read_bytes())
        assert samples.shape == original.shape
        assert 0 < abs(samples - original).max() <= 2.0**-23 + 1e-12  # at most one 24-bit LSB
        loudness = integrated_loudness(samples, rate)
        assert abs(loudness - integrated_loudness(original, rate)) < 0.001
        if not role.startswith("anchor"):
            assert (
                abs(loudness - config["target_lufs"]) <= 0.1
            )  # the existing matching check still holds


def test_abx_x_is_never_the_bytes_of_a_or_b(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "x", "abx", reference="human", start=3.0, excerpt_s=2.0)
    client = _client(study, store)
    token = new_session(store, study, "x")
    trial = client.get(f"/api/{token}/state").json()["trial"]
    downloads = [
        client.get(f"/api/{token}/audio/{t}").content for t in [*trial["slots"], trial["x"]]
    ]
    assert len({hashlib.sha256(d).hexdigest() for d in downloads}) == 3


def _hold_write_lock(path, seconds: float) -> threading.Thread:
    """A second real connection takes SQLite's write lock and holds it for ``seconds``."""
    ready = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(10)
    return thread


@pytest.mark.slow
def test_a_lock_shorter_than_the_retry_window_loses_nothing(mushra) -> None:
    study, store = mushra
    client = _client(study, store, busy_retry_s=10.0)
    token = new_session(store, study, "m")
    slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
    holder = _hold_write_lock(study.root / "study.db", 6.5)  # past SQLite's 5 s busy timeout
    started = time.monotonic()
    response = client.post(
        f"/api/{token}/answer", json={"trial": 0, "ratings": dict.fromkeys(slots, 61)}
    )
    holder.join()
    assert response.status_code == 200 and time.monotonic() - started >= 6.0
    assert ratings_frame(store, "m")["score"].tolist() == [61.0] * 5


@pytest.mark.slow
def test_a_longer_lock_gets_503_with_retry_after_then_the_answer_is_kept(mushra) -> None:
    study, store = mushra
    client = _client(study, store, busy_retry_s=0.0)
    token = new_session(store, study, "m")
    slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
    answer = {"trial": 0, "ratings": dict.fromkeys(slots, 62)}
    holder = _hold_write_lock(study.root / "study.db", 6.0)
    busy = client.post(f"/api/{token}/answer", json=answer)
    state = client.get(f"/api/{token}/state")  # reading goes on while the lock is held
    holder.join()
    assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
    assert "busy" in busy.json()["error"]
    assert state.status_code == 200 and state.json()["progress"] == 0
    assert client.post(f"/api/{token}/answer", json=answer).status_code == 200  # the retry
    assert client.post(f"/api/{token}/answer", json=answer).status_code == 409  # once only
    assert ratings_frame(store, "m")["score"].tolist() == [62.0] * 5


def test_the_download_dither_is_tpdf_of_two_lsb_peak_to_peak() -> None:
    import numpy as np

    from earwitness.analysis.listening import _signal as sig

    rng = np.random.default_rng(7)
    codes = sig.quantise(np.clip(rng.normal(0, 0.2, (240_000, 2)), -1, 1))
    codes[:10] = (1 << 23) - 1  # full scale stays in range
    codes[10:20] = -(1 << 23)
    data = sig.redither(sig.wav_bytes(codes, 48_000), np.random.default_rng(8))
    decoded, _ = _decoded(data)
    steps = np.rint(decoded * 2.0**23).astype(np.int64) - codes
    values, counts = np.unique(steps, return_counts=True)
    shares = dict(zip(values.tolist(), (counts / steps.size).tolist(), strict=True))
    # round(x + u1 + u2 - 1) for an integer x: -1, 0, +1 with 1/8, 3/4, 1/8 (Lipshitz et al.)
    assert set(shares) == {-1, 0, 1}
    assert abs(shares[0] - 0.75) < 0.005 and abs(shares[1] - shares[-1]) < 0.005
    assert len(data) == 44 + codes.size * 3 and data[:44] == sig.wav_bytes(codes, 48_000)[:44]


def test_an_unexpected_failure_is_still_a_json_error(mushra) -> None:
    study, store = mushra
    token = new_session(store, study, "m")
    client = TestClient(create_app(store, study.root), raise_server_exceptions=False)
    trial = client.get(f"/api/{token}/state").json()["trial"]
    for path in (study.root / "listening").rglob("*.wav"):
        path.unlink()  # the stimuli vanished from the study folder
    response = client.get(f"/api/{token}/audio/{trial['reference']}")
    assert response.status_code == 500 and response.json() == {"error": "internal error"}


def test_parsing_is_linear_in_the_body() -> None:
    from earwitness.analysis.listening._server import parse_json

    # unterminated escaped quotes made a string-skipping regular expression quadratic
    hostile = [b'"' + b'\\"' * 32_000, b"[" * 65_000, b'{"a":' * 13_000]
    for body in hostile:
        started = time.process_time()
        with pytest.raises(AnswerError) as caught:
            parse_json(body)
        assert caught.value.status == 400 and time.process_time() - started < 0.5
