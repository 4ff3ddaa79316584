"""Benchmark: every dashboard page on a large SQLite study (1,000,000 documents, 100 songs).

SYNTHETIC, LABELLED DATA (seeded): 50,000 authors in three user groups; 1,000,000 posts of
~90 characters marked [SYNTHETIC], one segment each; 300,000 tool mentions with a stance;
300,000 human codings of 30 codes under 6 themes; the demo's SIMULATED survey (42
respondents); 100 songs with a mix, a human master and 5 AI versions each, every file with
the stored metrics the Masters page reads (scalars, 1/3-octave bands, widths, EQ curves).

Measured, per page, with Streamlit's AppTest in this process:

* baseline: the page's first load (cold: every data function runs its SQL);
* result: the page rendered again after the first load (the state token is recomputed, the
  data come from the cache), and each data function timed cold on its own.

Goal: every page renders within 2 s after the first load. Prints the ratio warm/cold, the
process's peak memory (VmHWM) and the load average.

Run: .venv/bin/python benchmarks/bench_dashboard.py [--documents 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

GROUPS = ("amateur", "pro-am", "professional", "unknown")
SERVICES = ("LANDR", "eMastered", "iZotope Ozone", "RoEx", "matchering")
LABELS = ("ai:landr", "ai:emastered", "ai:izotope-ozone", "ai:roex", "ai:matchering")
STANCES = ("positive", "negative", "mixed", "neutral")
BANDS = ("31.5", "63", "125", "250", "500", "1000", "2000", "4000", "8000", "16000")
PAGES = ("overview", "voices", "stance", "survey", "masters", "listening",
         "sentiment_quality", "export")  # fmt: skip
ROOT = Path(__file__).resolve().parents[1]


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(study_dir: Path, n_documents: int, n_songs: int = 100, seed: int = 0) -> Any:
    from earwitness.study import init_study
    from earwitness.survey import import_file, load_instrument

    study = init_study(study_dir, name="bench (SYNTHETIC data)")
    rng = np.random.default_rng(seed)
    db = sqlite3.connect(study_dir / "study.db")
    db.execute("PRAGMA synchronous=OFF")
    now = _ts(datetime.now(UTC))
    n_people = max(50, n_documents // 20)
    with db:
        db.execute(
            "INSERT INTO sources (id, platform, fetched_at, extra) VALUES (1, 'reddit-dump', ?, '{}')",
            (now,),
        )
        groups = rng.integers(0, 4, n_people)
        db.executemany(
            "INSERT INTO participants (id, pseudonym, kind, user_group, group_method, created_at, extra) VALUES (?, ?, 'author', ?, 'bench', ?, '{}')",
            ((i + 1, f"p_{i:010x}", GROUPS[g], now) for i, g in enumerate(groups)),
        )
        start = datetime(2023, 1, 1, tzinfo=UTC)
        authors = rng.integers(1, n_people + 1, n_documents)
        days = rng.integers(0, 900, n_documents)
        tools = rng.integers(0, 5, n_documents)
        db.executemany(
            "INSERT INTO documents (id, guid, platform, native_id, source_id, participant_id, kind, text, text_sha256, authored_at, status, created_at, updated_at, extra) "
            "VALUES (?, ?, ?, ?, 1, ?, 'comment', ?, ?, ?, 'active', ?, ?, '{}')",
            (
                (i + 1, str(uuid.UUID(int=i + 1)), "reddit" if i % 10 else "forum", f"t1_{i:08x}",
                 int(authors[i]), f"[SYNTHETIC] {SERVICES[tools[i]]} made the low end muddy but the master was loud {i}.",
                 "0" * 64, _ts(start + timedelta(days=int(days[i]))), now, now)
                for i in range(n_documents)
            ),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO segments (id, document_id, start, \"end\", kind) VALUES (?, ?, 0, 80, 'post')",
            ((i + 1, i + 1) for i in range(n_documents)),
        )
        mentioned = rng.choice(n_documents, size=int(0.3 * n_documents), replace=False) + 1
        stances = rng.integers(0, 4, len(mentioned))
        db.executemany(
            "INSERT INTO tool_mentions (document_id, segment_id, tool, alias, start, \"end\", stance, origin, created_at) VALUES (?, ?, ?, ?, 12, 17, ?, 'model', ?)",
            ((int(d), int(d), SERVICES[tools[d - 1]], SERVICES[tools[d - 1]], STANCES[s], now) for d, s in zip(mentioned, stances, strict=True)),
        )  # fmt: skip
        db.execute(
            "INSERT INTO coders (id, guid, name, declared, extra) VALUES (1, ?, 'bench', 1, '{}')",
            (str(uuid.uuid4()),),
        )
        code_id = 0
        codes = []
        for theme in range(6):
            code_id += 1
            parent = code_id
            db.execute("INSERT INTO codes (id, guid, name, definition, inclusion, exclusion, examples, codable, position, origin, created_at, extra) VALUES (?, ?, ?, '', '', '', '[]', 1, ?, 'human', ?, '{}')",
                       (parent, str(uuid.uuid4()), f"Theme {theme}", theme, now))  # fmt: skip
            for number in range(5):
                code_id += 1
                codes.append(code_id)
                db.execute("INSERT INTO codes (id, guid, name, parent_id, definition, inclusion, exclusion, examples, codable, position, origin, created_at, extra) VALUES (?, ?, ?, ?, '', '', '', '[]', 1, ?, 'human', ?, '{}')",
                           (code_id, str(uuid.uuid4()), f"Code {theme}.{number}", parent, number, now))  # fmt: skip
        coded = rng.integers(1, n_documents + 1, int(0.3 * n_documents))
        which = rng.choice(codes, len(coded))
        db.executemany(
            "INSERT INTO codings (guid, document_id, segment_id, start, \"end\", code_id, coder_id, origin, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, 'human', 'applied', ?)",
            ((str(uuid.uuid4()), int(d), int(d), int(k % 3) * 10, int(k % 3) * 10 + 30, int(c), now) for k, (d, c) in enumerate(zip(coded, which, strict=True))),
        )  # fmt: skip
        _songs(db, rng, n_songs, now)
    db.close()
    with study.open_store() as store:
        instrument = load_instrument(
            ROOT / "earwitness/_data/instruments/ai-mastering-adoption.yaml"
        )
        import_file(
            store,
            ROOT / "earwitness/_data/demo/survey-SIMULATED-gforms.csv",
            study.key(),
            instrument=instrument,
        )
    return study


def _songs(db: sqlite3.Connection, rng: np.random.Generator, n_songs: int, now: str) -> None:
    import json

    file_id = 0
    for song in range(1, n_songs + 1):
        db.execute(
            "INSERT INTO songs (id, name, created_at, extra) VALUES (?, ?, ?, '{}')",
            (song, f"SYNTHETIC song {song:03d}", now),
        )
        versions = {}
        for label in ("mix", "human", *LABELS):
            file_id += 1
            kind, _, service = label.partition(":")
            db.execute("INSERT INTO audio_files (id, sha256, path, stored, original_name, added_at) VALUES (?, ?, ?, 1, ?, ?)",
                       (file_id, f"{file_id:064x}", f"audio/{file_id}.flac", f"SYNTHETIC-{file_id}.flac", now))  # fmt: skip
            cursor = db.execute("INSERT INTO song_versions (song_id, file_id, kind, service, label, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                                (song, file_id, kind, service or None, label, now))  # fmt: skip
            versions[label] = cursor.lastrowid
            loud = -20 if kind == "mix" else -10 + rng.normal()
            rows = [(file_id, name, value, None) for name, value in (
                ("integrated_lufs", loud), ("lra_lu", 6 + rng.normal()), ("true_peak_dbtp", -1.0),
                ("plr_db", -1 - loud), ("psr_min_db", 8 + rng.normal()))]  # fmt: skip
            rows.append(
                (
                    file_id,
                    "bands_third_octave",
                    None,
                    json.dumps({b: -10 - i + rng.normal() for i, b in enumerate(BANDS)}),
                )
            )
            rows.append(
                (
                    file_id,
                    "stereo_width_bands_db",
                    None,
                    json.dumps({b: -12 + i * 0.4 for i, b in enumerate(BANDS)}),
                )
            )
            db.executemany("INSERT INTO audio_metrics (file_id, name, value, data, computed_at) VALUES (?, ?, ?, ?, ?)",
                           [(*row, now) for row in rows])  # fmt: skip
        for label in ("human", *LABELS):
            curve = {
                "eq_curve": {
                    "frequencies_hz": [float(b) for b in BANDS],
                    "gain_db": rng.normal(size=len(BANDS)).tolist(),
                }
            }
            db.execute("INSERT INTO audio_comparisons (song_id, version_id, reference_version_id, result, computed_at) VALUES (?, ?, ?, ?, ?)",
                       (song, versions[label], versions["mix"], json.dumps(curve), now))  # fmt: skip


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def measure(study: Any) -> list[dict[str, Any]]:
    from streamlit.testing.v1 import AppTest

    from earwitness.dashboard import APP_PATH

    os.environ["EARWITNESS_STUDY"] = str(study.root)
    rows = []
    app = AppTest.from_file(str(APP_PATH), default_timeout=600)
    for page in PAGES:
        began = time.perf_counter()
        if page == "overview":
            app.run()
        else:
            app.switch_page(f"views/{page}.py").run()
        cold = time.perf_counter() - began
        assert not app.exception, [e.value for e in app.exception]
        time.sleep(2.1)  # past the state token's 2 s lifetime: the warm run recomputes it
        began = time.perf_counter()
        app.run()
        warm = time.perf_counter() - began
        rows.append({"page": page, "first_load_s": cold, "after_first_load_s": warm})
        print(
            f"{page:18s} first load {cold:7.2f} s   after first load {warm:6.2f} s   ratio {warm / cold:5.3f}",
            flush=True,
        )
    return rows


def data_functions(study: Any) -> None:
    from earwitness.dashboard import _data
    from earwitness.dashboard._filters import Filters

    f = Filters()
    calls = [
        ("study_state", ()), ("simulated_areas", ("x",)), ("filter_options", ()),
        ("overview", (f,)), ("code_group_matrix", (f, "participant")),
        ("code_group_matrix", (f, "segment")), ("cooccurrence", (f,)), ("vanka_table1", (f,)),
        ("stance_by_service_group", (f,)), ("stance_trend", (f,)),
        ("stance_evidence", (f, "LANDR", "amateur")), ("quotes", (f, 2, "amateur")),
        ("survey_report", (f,)), ("master_metrics", (f,)), ("tonal_balance", (f,)),
        ("eq_curves", (f,)), ("preset_audit", (f,)), ("service_audio_summary", (f,)),
        ("sentiment_quality", (f, "preference")),
        ("stance_by_service_group", (Filters(groups=("amateur",), services=("LANDR",)),)),
    ]  # fmt: skip
    with study.open_store(read_only=True) as store:
        for name, args in calls:
            began = time.perf_counter()
            getattr(_data, name)(store, *args)
            print(f"  {name:26s} {time.perf_counter() - began:6.2f} s (cold, uncached)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the study in this folder.")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ew-bench-dashboard-"))
    target = folder / "study"
    if (target / "earwitness.toml").exists():
        from earwitness.study import find_study

        study = find_study(target)
    else:
        began = time.perf_counter()
        study = generate(target, args.documents, args.songs)
        print(f"generated {args.documents:,} documents and {args.songs} songs in {time.perf_counter() - began:.0f} s "
              f"({(target / 'study.db').stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
    print("data functions:")
    data_functions(study)
    print("pages (AppTest):")
    rows = measure(study)
    worst = max(r["after_first_load_s"] for r in rows)
    print(
        f"slowest page after first load: {worst:.2f} s (goal <= 2 s); peak memory {_peak_mib():.0f} MiB"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
