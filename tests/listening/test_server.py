"""The participant app: blind by construction, answers as given, clear 4xx for bad requests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from earwitness.analysis.listening import create_test, new_session, ratings_frame
from earwitness.analysis.listening._server import MAX_BODY, create_app
from earwitness.store import schema as s

FORBIDDEN = ("human", "landr", "ozone", "ai:", ".wav", ".flac", "vibe")


def _secrets(store) -> list[str]:
    with store.connect() as connection:
        digests = connection.scalars(sa.select(s.listening_stimuli.c.sha256)).all()
        digests += connection.scalars(sa.select(s.audio_files.c.sha256)).all()
    return list(digests)


@pytest.fixture
def served(audio_study):
    study, store = audio_study
    create_test(store, study, "blind", "mushra", reference="human", start=3.0)
    token = new_session(store, study, "blind", crowd_id="crowd-1")
    return store, TestClient(create_app(store, study.root)), token


def _check_blind(response, secrets: list[str]) -> None:
    text = response.content.lower()
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items()).lower().encode()
    for word in [*FORBIDDEN, *secrets]:
        assert word.encode() not in text and word.encode() not in headers, word


def test_a_whole_session_leaks_nothing_and_every_stimulus_has_one_size(served) -> None:
    store, client, token = served
    secrets = _secrets(store)
    responses = [
        client.get(f"/s/{token}"),
        client.get("/static/listen.js"),
        client.get("/static/listen.css"),
    ]
    state = client.get(f"/api/{token}/state").json()
    trial = state["trial"]
    assert trial["reference"] not in trial["slots"]  # reference and hidden reference differ
    audio = [client.get(f"/api/{token}/audio/{t}") for t in [trial["reference"], *trial["slots"]]]
    assert {len(r.content) for r in audio} == {len(audio[0].content)}
    assert all(r.headers["content-type"] == "audio/wav" for r in audio)
    events = client.post(
        f"/api/{token}/events",
        json={
            "events": [
                {"kind": "play", "trial": 0, "t": 1.0, "detail": {"token": trial["slots"][0]}}
            ]
        },
    )
    ratings = {t: 50 + i for i, t in enumerate(trial["slots"])}
    answer = client.post(f"/api/{token}/answer", json={"trial": 0, "ratings": ratings})
    assert answer.status_code == 200 and answer.json()["complete"]
    for response in [*responses, client.get(f"/api/{token}/state"), *audio, events, answer]:
        assert response.status_code == 200
        _check_blind(response, secrets)
    frame = ratings_frame(store, "blind")
    assert sorted(frame["score"]) == sorted(float(v) for v in ratings.values())  # as given
    assert set(frame["role"]) == {"hidden_reference", "condition", "anchor35", "anchor70"}


def test_bad_requests_get_a_clear_4xx_and_change_nothing(served) -> None:
    store, client, token = served
    slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
    assert client.get("/api/nosuchtoken/state").status_code == 404
    assert client.get(f"/api/{token}/audio/nosuchstimulus").status_code == 404
    assert client.get("/s/nosuchtoken").status_code == 404
    bad = [
        (client.post(f"/api/{token}/answer", content=b"{not json"), 400),
        (client.post(f"/api/{token}/answer", json={"trial": 1, "ratings": {}}), 422),
        (client.post(f"/api/{token}/answer", json={"trial": 1, "ratings": {slots[0]: 5}}), 409),
        (client.post(f"/api/{token}/answer", json={"trial": 0, "ratings": {slots[0]: 50}}), 422),
        (
            client.post(
                f"/api/{token}/answer", json={"trial": 0, "ratings": {t: 101 for t in slots}}
            ),
            422,
        ),
        (client.post(f"/api/{token}/answer", content=b"x" * (MAX_BODY + 1)), 413),
        (client.post(f"/api/{token}/events", json={"events": [{"kind": "hack"}]}), 422),
    ]
    for response, status in bad:
        assert response.status_code == status, response.text
        assert "error" in response.json()
    assert ratings_frame(store, "blind").empty
    ok = client.post(f"/api/{token}/answer", json={"trial": 0, "ratings": dict.fromkeys(slots, 70)})
    assert ok.status_code == 200
    replay = client.post(
        f"/api/{token}/answer", json={"trial": 0, "ratings": dict.fromkeys(slots, 10)}
    )
    assert replay.status_code == 409
    assert set(ratings_frame(store, "blind")["score"]) == {70.0}


def test_each_session_has_its_own_tokens_and_order(served, audio_study) -> None:
    store, client, first = served
    study, _ = audio_study
    second = new_session(store, study, "blind")
    a = client.get(f"/api/{first}/state").json()["trial"]
    b = client.get(f"/api/{second}/state").json()["trial"]
    assert not set(a["slots"]) & set(b["slots"])
    assert client.get(f"/api/{first}/audio/{b['slots'][0]}").status_code == 404


def test_a_crowd_id_from_the_link_is_recorded_once(served, audio_study) -> None:
    store, client, _ = served
    study, _ = audio_study
    token = new_session(store, study, "blind")
    assert client.post(f"/api/{token}/crowd", json={"crowd_id": "PROLIFIC_5f3a"}).json() == {
        "stored": True
    }
    assert client.post(f"/api/{token}/crowd", json={"crowd_id": "other"}).json() == {
        "stored": False
    }
    assert client.post(f"/api/{token}/crowd", json={"crowd_id": "<script>"}).status_code == 422
    assert client.delete(f"/api/{token}/state").status_code == 405
    with store.connect() as connection:
        stored = connection.scalar(
            sa.select(s.listening_sessions.c.crowd_id).where(s.listening_sessions.c.token == token)
        )
    assert stored == "PROLIFIC_5f3a"


def test_answers_survive_a_killed_server(audio_study) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    study, store = audio_study
    create_test(store, study, "kill", "abx", reference="human", start=3.0, excerpt_s=2.0)
    token = new_session(store, study, "kill")

    def serve() -> tuple[subprocess.Popen[bytes], str]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "earwitness",
                "--study",
                str(study.root),
                "listen",
                "serve",
                "--port",
                str(port),
            ],
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                httpx.get(f"{base}/static/listen.css", timeout=1)
                return process, base
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError("the server did not start")

    process, base = serve()
    try:
        state = httpx.get(f"{base}/api/{token}/state").json()
        answered = httpx.post(f"{base}/api/{token}/answer", json={"trial": 0, "choice": "B"})
        assert answered.status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    process, base = serve()
    try:
        resumed = httpx.get(f"{base}/api/{token}/state").json()
    finally:
        process.terminate()
        process.wait(10)
    assert resumed["progress"] == 1 and resumed["trial"]["slots"] != state["trial"]["slots"]
    frame = ratings_frame(store, "kill")
    assert frame["answer"].tolist() == ["B"]
