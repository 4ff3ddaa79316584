"""`earwitness demo`: the whole loop on a SIMULATED study, with FICTIONAL services."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
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


@pytest.mark.slow
def test_the_demo_runs_the_whole_loop_without_serving(tmp_path: Path) -> None:
    target = tmp_path / "demo-study"
    result = CliRunner().invoke(cli, ["demo", str(target), "--no-serve", "--no-suggest"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8501/" in result.output
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
