"""Benchmark: the workbench in Chromium on a study of 100,000 segments.

SYNTHETIC, LABELLED DATA: 10,000 forum posts of 10 generated sentences (100,000 sentence
segments), 9,751 machine tool mentions (one sentence of each post names a tool; runs
before 2026-12-06 22:50 UTC had only 239, as ``str.capitalize`` lowercased the tools),
40,000 codings by two coders, the starter codebook, and one generated document of 20,000
words (about 1,500 sentences, 300 codings). Seeded; the text is made of a fixed word list
and says nothing about anyone.

Measured in Debian's chromium through Playwright, against the workbench served by uvicorn
on loopback, on SQLite (WAL) or, with ``--backend postgresql``, on a new database of the
local PostgreSQL server (dropped afterwards). A PostgreSQL study is shared, so there the
page signs in with a coder token first and every request is checked against it, as a
team's workbench is (retraining is off in both, so the figures are the requests alone):

* coding: key press (``1``, the most recent code, on a sentence selected with ``j``) until
  the server answered that the coding is stored (committed), as the page records it
  (``window.__wbTimings``; the key event's timestamp to the response);
* stance: key press (``1``-``4``) until the label is stored;
* opening the 20,000-word document: request, JSON, rendering of text and highlights.

Baselines in the same run: ``apply_code`` and ``label_stance`` called directly in Python
on the same study (the store's write alone, no browser, no HTTP), and the document's JSON
fetched without rendering. Peak memory is this process's maximum RSS (server included).

Run: nice .venv/bin/python benchmarks/bench_workbench.py [--backend postgresql]
"""

from __future__ import annotations

import argparse
import random
import resource
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from earwitness.code import apply_code, load_codebook_yaml, write_codebook
from earwitness.code.assist import label_stance
from earwitness.code.workbench import WorkbenchConfig, add_token, create_app
from earwitness.resources import starter_codebook_path
from earwitness.store import DocumentRecord, Store, ensure_coder, ensure_participant
from earwitness.store.records import record_source, upsert_documents
from earwitness.store.schema import codes, codings, segments, tool_mentions
from earwitness.study import init_study

N_POSTS, SENTENCES, LONG_WORDS, SEED = 10_000, 10, 20_000, 20261206
WORDS = ["mix", "master", "loud", "clean", "harsh", "warm", "bright", "muddy", "low", "end",
         "vocal", "limiter", "preset", "track", "song", "release", "demo", "knob", "control",
         "price", "free", "trial", "genre", "rock", "folk", "hats", "snare", "bass",
         "reference", "tone", "dynamics", "stereo", "width"]  # fmt: skip
TOOLS = ("LANDR", "Ozone", "CloudBounce", "eMastered")
REPEATS = 100


def sentence(rng: random.Random, tool: str | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    if tool:
        words.insert(rng.randint(0, len(words)), tool)
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."  # not str.capitalize(): it lowercases the tools


def build(store: Store) -> int:
    """Fill the study; return the id of the 20,000-word document."""
    rng = random.Random(SEED)
    with store.transaction() as connection:
        source = record_source(connection, "forum", url="https://forum.invalid/synthetic")
        people = [ensure_participant(connection, f"p_synthetic{i:04d}") for i in range(500)]
        records, spans = [], []
        for i in range(N_POSTS):
            parts, bounds, at = [], [], 0
            for k in range(SENTENCES):
                text = sentence(rng, TOOLS[(i + k) % 4] if k == 3 else None)
                parts.append(text)
                bounds.append((at, at + len(text)))
                at += len(text) + 1
            records.append(
                DocumentRecord(
                    platform="forum",
                    native_id=f"s{i}",
                    text=" ".join(parts),
                    participant_id=people[i % 500],
                    source_id=source,
                )
            )
            spans.append(bounds)
        words, long_bounds, at, parts = 0, [], 0, []
        while words < LONG_WORDS:
            text = sentence(rng)
            words += len(text.split())
            parts.append(text)
            long_bounds.append((at, at + len(text)))
            at += len(text) + 1
        records.append(
            DocumentRecord(
                platform="forum",
                native_id="long",
                text=" ".join(parts),
                participant_id=people[0],
                source_id=source,
            )
        )
        spans.append(long_bounds)
        ids = [i for i, _ in upsert_documents(connection, records)]
        seg_rows = [
            {"document_id": d, "start": s, "end": e, "kind": "sentence"}
            for d, bounds in zip(ids, spans, strict=True)
            for s, e in bounds
        ]
        connection.execute(segments.insert(), seg_rows)
    write_codebook(store, load_codebook_yaml(starter_codebook_path()))
    with store.transaction() as connection:
        code_ids = list(connection.scalars(sa.select(codes.c.id).where(codes.c.codable)))
        coders = [ensure_coder(connection, n) for n in ("synthetic-a", "synthetic-b")]
        segs = connection.execute(
            sa.select(segments.c.id, segments.c.document_id, segments.c.start, segments.c.end)
        ).all()
        rows = []
        for n, seg in enumerate(segs[:20_000]):
            for coder in coders:
                code = code_ids[(n + (coder if rng.random() < 0.2 else 0)) % len(code_ids)]
                rows.append(
                    {
                        "guid": f"00000000-0000-4000-8000-{len(rows):012d}",
                        "document_id": seg.document_id,
                        "segment_id": seg.id,
                        "start": seg.start,
                        "end": seg.end,
                        "code_id": code,
                        "coder_id": coder,
                        "origin": "human",
                        "status": "applied",
                    }
                )
        long_id = ids[-1]
        for n, (s, e) in enumerate(long_bounds[:300]):
            rows.append(
                {
                    "guid": f"00000000-0000-4000-9000-{n:012d}",
                    "document_id": long_id,
                    "segment_id": None,
                    "start": s,
                    "end": e,
                    "code_id": code_ids[n % len(code_ids)],
                    "coder_id": coders[n % 2],
                    "origin": "human",
                    "status": "applied",
                }
            )
        connection.execute(codings.insert(), rows)
        mentions = []
        by_doc = dict(zip(ids, records, strict=True))
        for seg in segs:
            record = by_doc[seg.document_id]
            body = record.text[seg.start : seg.end]
            for tool in TOOLS:
                at = body.find(tool)
                if at >= 0:
                    mentions.append(
                        {
                            "document_id": seg.document_id,
                            "segment_id": seg.id,
                            "tool": tool,
                            "alias": tool,
                            "start": seg.start + at,
                            "end": seg.start + at + len(tool),
                            "origin": "model",
                            "stance": "neutral",
                            "model_id": "synthetic",
                        }
                    )
        connection.execute(tool_mentions.insert(), mentions[:20_000])
    return long_id


def serve(store: Store, coder: str) -> tuple[Any, str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store, WorkbenchConfig(coder=coder)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:44s} n={len(values):3d}  p50 {statistics.median(values):7.1f} ms  "
        f"p95 {p95(values):7.1f} ms  max {max(values):7.1f} ms"
    )


def browser_runs(url: str, first_doc: int, long_id: int, token: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--headless", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        if token:
            page.goto(f"{url}/")
            page.fill("#token", token)
            page.click("#sign-in button[type=submit]")
            page.wait_for_selector("#sign-out")
        page.goto(f"{url}/#/doc/{first_doc}")
        page.wait_for_selector("#text span, #text mark")
        page.focus("#text")
        page.keyboard.press("j")
        page.keyboard.press("c")
        page.keyboard.type("black box")
        page.keyboard.press("Enter")
        page.wait_for_function("window.__wbTimings.length === 1")
        for i in range(REPEATS):
            doc = first_doc + 1 + i // SENTENCES
            if i % SENTENCES == 0:
                page.goto(f"{url}/#/doc/{doc}")
                page.wait_for_function(
                    f"document.querySelector('.doc-head') && "
                    "document.querySelector('.doc-head').textContent"
                    f".includes('document {doc} ')"
                )
            page.focus("#text")
            page.keyboard.press("j")
            page.keyboard.press("1")
            page.wait_for_function(f"window.__wbTimings.length === {i + 2}")
        out["coding"] = [t["ms"] for t in page.evaluate("window.__wbTimings")[1:]]
        page.goto(f"{url}/#/stance")
        page.wait_for_selector("#unit .tool", timeout=120_000)
        before = len(page.evaluate("window.__wbTimings"))
        for i in range(REPEATS):
            page.keyboard.press("1234"[i % 4])
            page.wait_for_function(f"window.__wbTimings.length === {before + i + 1}")
            page.wait_for_selector("#unit .tool", timeout=120_000)
        out["stance"] = [t["ms"] for t in page.evaluate("window.__wbTimings")[before:]]
        opens, fetches = [], []
        for _ in range(11):
            page.goto(f"{url}/#/documents")
            page.wait_for_selector("#documents tbody tr")
            page.goto(f"{url}/#/doc/{long_id}")
            page.wait_for_function(
                f"document.querySelector('.doc-head') && "
                "document.querySelector('.doc-head').textContent"
                f".includes('document {long_id} ')"
            )
            page.wait_for_selector("#text mark")
            opens.append(page.evaluate("window.__wbLastOpenMs"))
            fetches.append(
                page.evaluate(
                    """async (id) => { const t = performance.now();
                   await (await fetch('/api/documents/' + id)).json();
                   return performance.now() - t; }""",
                    long_id,
                )
            )
        out["open"], out["fetch"] = opens[1:], fetches[1:]
        out["words"] = [float(len(page.inner_text("#text").split()))]
        browser.close()
    return out


def direct_runs(store: Store, first_doc: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"apply": [], "label": []}
    with store.connect() as connection:
        segs = connection.execute(
            sa.select(segments.c.id, segments.c.start, segments.c.end)
            .where(segments.c.document_id > first_doc + 20)
            .order_by(segments.c.id)
            .limit(REPEATS)
        ).all()
        units = connection.execute(
            sa.select(tool_mentions.c.segment_id, tool_mentions.c.tool)
            .order_by(tool_mentions.c.id.desc())
            .limit(REPEATS)
        ).all()
    for seg in segs:
        t = time.perf_counter()
        apply_code(store, "Control and transparency/Black box", coder="direct", segment=seg.id)
        out["apply"].append((time.perf_counter() - t) * 1000)
    for unit in units:
        t = time.perf_counter()
        label_stance(store, unit.segment_id, unit.tool, "neutral", "direct")
        out["label"].append((time.perf_counter() - t) * 1000)
    return out


@contextmanager
def database(backend: str, admin_url: str) -> Iterator[str | None]:
    """None for SQLite; else the URL of a new PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield None
        return
    name = f"ew_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    print(f"backend: {args.backend}; load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder, database(args.backend, args.pg_admin) as url:
        study = init_study(Path(folder) / "study", name="SYNTHETIC workbench benchmark", db_url=url)
        with study.open_store() as store:
            t = time.perf_counter()
            long_id = build(store)
            print(f"built the synthetic study in {time.perf_counter() - t:.0f} s")
            with store.connect() as connection:
                n_segments = connection.scalar(sa.select(sa.func.count()).select_from(segments))
                first_doc = int(connection.scalar(sa.select(sa.func.min(segments.c.document_id))))
            print(f"segments: {n_segments:,}")
            token = add_token(store, "bench") if store.backend == "PostgreSQL" else ""
            server, served = serve(store, "bench")
            browser = browser_runs(served, first_doc, long_id, token)
            server.should_exit = True
            direct = direct_runs(store, first_doc)
    print(line("coding: key press -> stored (Chromium)", browser["coding"]))
    print(line("  baseline: apply_code() alone", direct["apply"]))
    print(line("stance: key press -> stored (Chromium)", browser["stance"]))
    print(line("  baseline: label_stance() alone", direct["label"]))
    print(line(f"open {browser['words'][0]:,.0f}-word document (Chromium)", browser["open"]))
    print(line("  baseline: its JSON fetched, not rendered", browser["fetch"]))
    print(
        f"ratios (p95): coding {p95(browser['coding']) / p95(direct['apply']):.2f}x, "
        f"stance {p95(browser['stance']) / p95(direct['label']):.2f}x, "
        f"open {p95(browser['open']) / p95(browser['fetch']):.2f}x"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (server included): {peak:.0f} MiB")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
