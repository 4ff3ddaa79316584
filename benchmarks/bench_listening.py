"""Benchmark: listening-test stimulus preparation, and the server under 50 participants.

1. prep: a 12-condition, 10-song MUSHRA test (human reference + 12 synthetic "AI"
   versions of each song, 45 s stereo 44.1 kHz WAVs built from ../shared/audio and
   labelled synthetic). `earwitness listen create` against measuring the same 130 files
   with `earwitness audio measure` (its default: all cores), each in a fresh process of
   its own, in the same run. Prints both wall times, the ratio and each process's peak
   memory (VmHWM; `audio measure`'s worker processes are not included).
2. serve: `earwitness listen serve` on 127.0.0.1 and 50 simulated participants at once
   (httpx, asyncio), each loading its state, downloading every stimulus of every trial,
   posting events and its answers, over a 3-song, 4-condition test with 5 s excerpts.
   Prints latency percentiles per request kind, and checks that every answer and event
   arrived (nothing lost). Baseline in the same run: the same number of downloads of the
   same WAV files by 50 concurrent clients from Starlette's `StaticFiles` (no store, no
   API calls). Bounded: 50 participants, one pass, 300 s at most.

Run: .venv/bin/python benchmarks/bench_listening.py [prep|serve|all]
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"
SONG_S = 45

_CHILD = """
import sys, time
from earwitness.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
wall = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(f"@@ {wall} {peak}")
"""


def _versions(x: np.ndarray, rate: int, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """n synthetic masters: random shelf EQ, drive, gain and a small delay (synthetic)."""
    out = []
    for _ in range(n):
        b, a = signal.butter(2, rng.uniform(2000, 8000) / (rate / 2), "high")
        y = x + rng.uniform(-0.4, 0.6) * signal.lfilter(b, a, x, axis=0)
        y = np.tanh(rng.uniform(1.0, 3.0) * y) * rng.uniform(0.5, 0.9)
        delay = int(rng.integers(0, 400))
        out.append(np.concatenate([np.zeros((delay, 2)), y])[: len(x)].astype(np.float32))
    return out


def _run(study: Path, *args: str) -> tuple[float, int]:
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, "--study", str(study), *args],
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {completed.stderr.strip()[-600:]}")
    line = next(x for x in completed.stdout.splitlines() if x.startswith("@@"))
    _, wall, peak = line.split()
    return float(wall), int(peak)


def build_study(folder: Path, songs: int, conditions: int) -> Path:
    from earwitness.analysis.metrics._study import add_file, parse_version
    from earwitness.study import init_study

    study = init_study(folder / "study", name="benchmark (synthetic versions)")
    recordings = sorted(SHARED.glob("*.ogg"))
    rng = np.random.default_rng(0)
    with study.open_store() as store:
        for index in range(songs):
            x, rate = sf.read(recordings[index % len(recordings)], dtype="float32", always_2d=True)
            x = np.tile(x, (int(np.ceil(SONG_S * rate / len(x))), 1))[: SONG_S * rate]
            x = np.roll(x, index * 7919, axis=0)
            for label, y in [
                ("human", 0.5 * x),
                *[(f"ai:svc{k}", v) for k, v in enumerate(_versions(x, rate, conditions, rng))],
            ]:
                path = folder / f"song{index}-{label.replace(':', '_')}.wav"
                sf.write(path, y, rate, subtype="PCM_16")
                add_file(store, study, f"song{index}", parse_version(label), path)
    return study.root


def bench_prep() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = build_study(Path(tmp), songs=10, conditions=12)
        prep_s, prep_kib = _run(
            root, "listen", "create", "bench", "--design", "mushra", "--conditions", "ai:*"
        )
        measure_s, measure_kib = _run(root, "audio", "measure")
    print(
        json.dumps(
            {
                "task": "12-condition, 10-song MUSHRA test: 150 stimuli from 130 files of 45 s",
                "listen_create_s": round(prep_s, 2),
                "audio_measure_s": round(measure_s, 2),
                "ratio": round(prep_s / measure_s, 2),
                "listen_create_peak_mib": round(prep_kib / 1024),
                "audio_measure_peak_mib": round(measure_kib / 1024),
                "load": os.getloadavg(),
            },
            indent=2,
        )
    )


async def _participant(client, base: str, token: str, latencies: dict[str, list[float]]) -> int:
    async def timed(kind: str, method: str, url: str, **kwargs):
        start = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        latencies.setdefault(kind, []).append(time.perf_counter() - start)
        response.raise_for_status()
        return response

    state = (await timed("state", "GET", f"{base}/api/{token}/state")).json()
    events = 0
    while not state["complete"]:
        trial = state["trial"]
        for stim in [trial.get("reference"), *trial["slots"]]:
            if stim:
                await timed("audio", "GET", f"{base}/api/{token}/audio/{stim}")
        batch = [
            {"kind": "switch", "trial": trial["index"], "t": float(i), "detail": {"token": s}}
            for i, s in enumerate(trial["slots"])
        ]
        await timed("events", "POST", f"{base}/api/{token}/events", json={"events": batch})
        events += len(batch)
        ratings = {s: 50 for s in trial["slots"]}
        state = (
            await timed(
                "answer",
                "POST",
                f"{base}/api/{token}/answer",
                json={"trial": trial["index"], "ratings": ratings},
            )
        ).json()
    return events


_STATIC = """
import sys, uvicorn
from starlette.staticfiles import StaticFiles
uvicorn.run(StaticFiles(directory=sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str) -> None:
    import httpx

    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _baseline(folder: Path, participants: int, downloads: int) -> float:
    """The same number of same-size WAV downloads from Starlette's StaticFiles (no store)."""
    import httpx

    files = sorted(p.name for p in folder.glob("*.wav"))
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-c", _STATIC, str(folder), str(port)], stderr=subprocess.DEVNULL
    )
    try:
        _wait(f"http://127.0.0.1:{port}/{files[0]}")

        async def one(client: httpx.AsyncClient, offset: int) -> None:
            for k in range(downloads):
                name = files[(offset + k) % len(files)]
                (await client.get(f"http://127.0.0.1:{port}/{name}")).raise_for_status()

        async def run_all() -> None:
            limits = httpx.Limits(max_connections=participants)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                await asyncio.wait_for(
                    asyncio.gather(*(one(client, i) for i in range(participants))), 300
                )

        start = time.perf_counter()
        asyncio.run(run_all())
        return time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(10)


def bench_serve(participants: int = 50) -> None:
    import httpx
    import sqlalchemy as sa

    from earwitness.store import Store
    from earwitness.store import schema as s

    with tempfile.TemporaryDirectory() as tmp:
        root = build_study(Path(tmp), songs=3, conditions=4)
        _run(root, "listen", "create", "srv", "--design", "mushra", "--excerpt-s", "5")
        links = subprocess.run(
            [
                sys.executable,
                "-m",
                "earwitness",
                "--study",
                str(root),
                "listen",
                "link",
                "srv",
                "--n",
                str(participants),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tokens = [row["link"].rsplit("/", 1)[1] for row in json.loads(links)]
        port = _port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "earwitness",
                "--study",
                str(root),
                "listen",
                "serve",
                "--port",
                str(port),
            ],
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    httpx.get(f"{base}/static/listen.css", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            latencies: dict[str, list[float]] = {}

            async def run_all() -> list[int]:
                limits = httpx.Limits(max_connections=participants)
                async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                    return await asyncio.wait_for(
                        asyncio.gather(*(_participant(client, base, t, latencies) for t in tokens)),
                        300,
                    )

            start = time.perf_counter()
            events = asyncio.run(run_all())
            wall = time.perf_counter() - start
            with open(f"/proc/{server.pid}/status") as status:
                server_kib = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:"))
        finally:
            server.terminate()
            server.wait(10)
        downloads = len(latencies["audio"]) // participants
        baseline = _baseline(root / "listening", participants, downloads)
        with Store.open(f"sqlite:///{root / 'study.db'}") as store, store.connect() as c:
            complete = c.scalar(
                sa.select(sa.func.count())
                .select_from(s.listening_sessions)
                .where(s.listening_sessions.c.status == "complete")
            )
            answers = c.scalar(sa.select(sa.func.count()).select_from(s.listening_answers))
            stored_events = c.scalar(sa.select(sa.func.count()).select_from(s.listening_events))
    print(
        json.dumps(
            {
                "participants": participants,
                "wall_s": round(wall, 2),
                "baseline_staticfiles_wall_s": round(baseline, 2),
                "ratio": round(wall / baseline, 2),
                "server_peak_mib": round(server_kib / 1024),
                "latency_ms": {
                    k: {f"p{q}": round(1000 * float(np.percentile(v, q)), 1) for q in (50, 90, 99)}
                    | {"n": len(v)}
                    for k, v in latencies.items()
                },
                "complete_sessions": complete,
                "answers": answers,
                "expected_answers": participants * 3 * 7,
                "events_stored": stored_events,
                "events_sent": sum(events),
                "load": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("prep", "all"):
        bench_prep()
    if which in ("serve", "all"):
        bench_serve()
