"""`earwitness demo`: the whole loop on a SIMULATED study, with FICTIONAL services."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from scipy import signal

from earwitness.analysis import integrated_loudness
from earwitness.cli import cli
from earwitness.demo import FICTIONAL_SERVICES, master, synth_mix
from earwitness.demo._masters import RATE, shelf
from earwitness.services import services_report
from earwitness.store import schema as s
from earwitness.study import find_study


@pytest.mark.parametrize("kind", ["low", "high"])
def test_rbj_shelves_reach_their_gain_at_the_band_edges(kind: str) -> None:
    b, a = shelf(6.0, 1000.0 if kind == "low" else 4000.0, kind)
    _, response = signal.freqz(b, a, worN=[1.0, RATE / 2 - 1], fs=RATE)
    gains = 20 * np.log10(np.abs(response))
    shelf_gain, other = (gains[0], gains[1]) if kind == "low" else (gains[1], gains[0])
    assert shelf_gain == pytest.approx(6.0, abs=0.05)
    assert other == pytest.approx(0.0, abs=0.05)


def test_each_fictional_chain_meets_its_loudness_target() -> None:
    mix = synth_mix(np.random.default_rng(1), seconds=4.0)
    for service in FICTIONAL_SERVICES:
        out = master(mix, service.chain)
        level = integrated_loudness(out, RATE)
        assert level is not None and abs(level - service.chain.target_lufs) < 0.5
        assert np.abs(out).max() <= 10 ** (service.chain.ceiling_dbfs / 20) + 1e-9


@pytest.fixture(scope="module")
def built(built_demo: tuple[Path, Result]) -> tuple[Path, Result]:
    """The demo, built once per test process (tests/conftest.py: it is slow)."""
    return built_demo


@pytest.mark.slow
def test_the_demo_runs_the_whole_loop_without_serving(built: tuple[Path, Result]) -> None:
    target, result = built
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8501/" in result.output
    assert "http://127.0.0.1:8700/" in result.output  # the workbench's
    study = find_study(target)
    assert "SIMULATED" in study.name
    with study.open_store(read_only=True) as store:
        report = services_report(store)
        with store.connect() as connection:
            texts = (
                connection.execute(
                    sa.select(s.documents.c.text).where(s.documents.c.platform == "reddit")
                )
                .scalars()
                .all()
            )
            names = connection.execute(sa.select(s.audio_files.c.original_name)).scalars().all()
            codings = connection.execute(sa.select(sa.func.count()).select_from(s.codings)).scalar()
            lufs = dict(connection.execute(
                sa.select(s.song_versions.c.label, s.audio_metrics.c.value)
                .select_from(s.song_versions.join(
                    s.audio_metrics, s.audio_metrics.c.file_id == s.song_versions.c.file_id))
                .where(s.audio_metrics.c.name == "integrated_lufs")
            ).all())  # fmt: skip
    rows = {r["service"]: r for r in report["services"]}
    for service in FICTIONAL_SERVICES:
        row = rows[service.name]
        assert row["fictional"] and row["mentions"] > 0 and row["songs"] == 3
        assert math.isclose(lufs[service.label], service.chain.target_lufs, abs_tol=0.6)
    assert report["unmatched_labels"] == []
    assert texts and all(text.endswith("[SIMULATED]") for text in texts)
    assert all(name.startswith("SYNTHETIC") for name in names)
    assert codings > 100
    assert (
        "Listening tests are not available" in result.output
        or "SIMULATED listeners" in result.output
    )
    if "SIMULATED listeners" in result.output:  # a design that can answer "AI or human?"
        from earwitness.analysis.listening import listening_report
        from earwitness.demo import LISTENING_TEST

        with study.open_store(read_only=True) as store:
            preference = listening_report(store, LISTENING_TEST)["preference"]
        assert preference["caveat"] is None
        by_service = {r["service"]: r for r in preference["by_service"]}
        assert set(by_service) == {service.name for service in FICTIONAL_SERVICES}
        assert all(r["comparisons"] == 30 * 3 and r["simulated"] for r in by_service.values())


@pytest.mark.slow
def test_simulated_labels_validate_one_service_and_no_other(built: tuple[Path, Result]) -> None:
    from earwitness.code.assist import stance_aggregates
    from earwitness.dashboard import _data
    from earwitness.demo import LABELLED_SERVICE, SIMULATED_CODER

    target, result = built
    assert result.exit_code == 0, result.output
    study = find_study(target)
    with study.open_store(read_only=True) as store:
        rows = {r["tool"]: r for r in stance_aggregates(store) if r["group"] == "all"}
        dashboard = _data.stance_provenance(store).set_index("service")["provenance"]
        with store.connect() as connection:
            m = s.tool_mentions
            machine = dict(connection.execute(
                sa.select(m.c.segment_id, m.c.stance)
                .where(m.c.origin == "model", m.c.tool == LABELLED_SERVICE)
            ).all())  # fmt: skip
            labels = connection.execute(
                sa.select(m.c.segment_id, m.c.tool, m.c.stance, s.coders.c.name)
                .join(s.coders, s.coders.c.id == m.c.coder_id)
                .where(m.c.origin == "human")
            ).all()  # fmt: skip
    assert {name for *_, name in labels} == {SIMULATED_CODER}
    assert {tool for _, tool, *_ in labels} == {LABELLED_SERVICE}
    per_unit = {segment: stance for segment, _, stance, _ in labels}
    assert len(per_unit) == 24 < len(machine)  # some, not all: machine, not human, figures
    # the documented rule: the machine's stance but on round(0.15 x 24) = 4 units
    assert sum(per_unit[u] != machine[u] for u in per_unit) == 4
    validated = rows[LABELLED_SERVICE]
    assert validated["provenance"] == "machine validated"
    assert validated["n_validation"] == 24 and validated["kappa_ci_low"] >= 0.4
    others = {r["provenance"] for tool, r in rows.items() if tool != LABELLED_SERVICE}
    assert others == {"machine unvalidated"}
    assert dashboard.to_dict() == {tool: row["provenance"] for tool, row in rows.items()}
    assert "SIMULATED human stance labels" in result.output


@pytest.mark.slow
def test_the_workbench_queue_shows_the_reports_figures_on_the_demo(
    built: tuple[Path, Result],
) -> None:
    import json

    from starlette.testclient import TestClient

    from earwitness.code.workbench import WorkbenchConfig, create_app
    from earwitness.demo import LABELLED_SERVICE

    target, _ = built
    study = find_study(target)
    with study.open_store() as store:
        app = create_app(store, WorkbenchConfig(coder="demo-coder"))
        shown = TestClient(app, base_url="http://127.0.0.1").get("/api/stance").json()
    queue = {row["tool"]: row for row in shown["provenance"]}
    report = CliRunner().invoke(cli, ["--study", str(target), "code", "stance", "report", "--json"])
    assert report.exit_code == 0, report.output
    for row in json.loads(report.stdout):
        if row["group"] != "all":
            continue
        tool = queue[row["tool"]]
        assert (tool["provenance"], tool["kappa"], tool["kappa_low"], tool["kappa_high"],
                tool["n"], tool["more_labels"]) == (
            row["provenance"], row["kappa_machine_human"], row["kappa_ci_low"],
            row["kappa_ci_high"], row["n_validation"], row["more_labels"])  # fmt: skip
    assert queue[LABELLED_SERVICE]["provenance"] == "machine validated"
    assert queue[LABELLED_SERVICE]["more_labels"] == 0
    assert queue[LABELLED_SERVICE]["coders"] == ["SIMULATED-coder"]  # shown as simulated
    assert all(r["more_labels"] == 20 for t, r in queue.items() if t != LABELLED_SERVICE)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_the_served_demo_prints_both_urls_answers_on_both_and_stops(
    built: tuple[Path, Result],
) -> None:
    """The function `earwitness demo` serves with, on the built study: both URLs printed,
    both answer 200, and after SIGTERM neither port answers (no server outlives it)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    target, _ = built
    port, bench = _free_port(), _free_port()
    script = (
        "import sys; from earwitness.demo import serve_demo; from earwitness.study import "
        f"find_study; sys.exit(serve_demo(find_study({str(target)!r}), '127.0.0.1', {port}, "
        f"{bench}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "EARWITNESS_STUDY"}
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    urls = {f"http://127.0.0.1:{port}/_stcore/health", f"http://127.0.0.1:{bench}/"}

    def status(url: str) -> int | None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return int(answer.status)
        except OSError:
            return None

    try:
        printed = [process.stdout.readline() for _ in range(2)] if process.stdout else []
        assert any(f"http://127.0.0.1:{port}/" in line for line in printed), printed
        assert any(f"http://127.0.0.1:{bench}/" in line for line in printed), printed
        answered: set[str] = set()
        for _ in range(240):
            answered |= {url for url in urls if status(url) == 200}
            if answered == urls or process.poll() is not None:
                break
            time.sleep(0.5)
        assert answered == urls
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    time.sleep(0.5)
    assert {url for url in urls if status(url) is not None} == set()
