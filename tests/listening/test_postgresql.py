"""The whole listening flow on PostgreSQL: JSON plans, booleans, concurrent-safe answers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.testclient import TestClient

from earwitness.analysis.listening import (
    create_test,
    listening_report,
    new_session,
    ratings_frame,
    simulate_listeners,
)
from earwitness.analysis.listening._limits import ServerLimits
from earwitness.analysis.listening._server import create_app
from earwitness.analysis.metrics._study import add_file, parse_version
from earwitness.study import init_study


def test_listening_on_postgresql(pg_url: str, tmp_path: Path, versions_dir: Path) -> None:
    study = init_study(tmp_path / "pg", db_url=pg_url)
    with study.open_store() as store:
        for label, name in (("human", "human.wav"), ("ai:landr", "landr.wav")):
            add_file(store, study, "vibe", parse_version(label), versions_dir / name)
        create_test(store, study, "pg", "mushra", reference="human", start=2.0, excerpt_s=3.0)
        simulate_listeners(store, "pg", 4, seed=2)
        limits = dataclasses.replace(
            ServerLimits.from_settings(), events_per_session=10, event_bytes_per_session=10**6
        )
        token = new_session(store, study, "pg")
        client = TestClient(create_app(store, study.root))
        slots = client.get(f"/api/{token}/state").json()["trial"]["slots"]
        ok = client.post(
            f"/api/{token}/answer", json={"trial": 0, "ratings": dict.fromkeys(slots, 77)}
        )
        again = client.post(
            f"/api/{token}/answer", json={"trial": 0, "ratings": dict.fromkeys(slots, 1)}
        )
        bounded = TestClient(create_app(store, study.root, limits))
        batch = {"events": [{"kind": "play", "trial": 0, "t": 1, "detail": {"x": "y" * 40}}] * 4}
        logged = [bounded.post(f"/api/{token}/events", json=batch).status_code for _ in range(3)]
        frame = ratings_frame(store, "pg")
        report = listening_report(store, "pg")
    assert ok.status_code == 200 and again.status_code == 409
    assert logged == [200, 200, 429]  # the event bound holds on PostgreSQL too
    assert len(frame) == 4 * 4 + 4 and frame["simulated"].sum() == 16  # 4 slots a trial
    assert report["sessions"] == 5
