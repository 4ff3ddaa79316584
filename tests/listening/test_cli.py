"""`earwitness listen` as a user runs it."""

from __future__ import annotations

import csv
import io
import json

from tests.helpers import run_cli


def test_create_list_link_simulate_report_and_stimuli(audio_study, tmp_path) -> None:
    study, _ = audio_study
    base = ["--study", str(study.root), "listen"]
    created = run_cli(*base, "create", "cli", "--design", "mushra", "--start", "2", "--json")
    assert created.code == 0, created.stderr
    assert json.loads(created.stdout)["stimuli"] == 5
    listed = run_cli(*base, "list", "--csv")
    assert next(csv.DictReader(io.StringIO(listed.stdout)))["design"] == "mushra"
    links = json.loads(run_cli(*base, "link", "cli", "--n", "3", "--json").stdout)
    assert len(links) == 3 and all("/s/" in row["link"] for row in links)
    assert run_cli(*base, "simulate", "cli", "--n", "6").code == 0
    html = tmp_path / "report.html"
    report = run_cli(*base, "report", "cli", "--json", "--html", str(html))
    assert report.code == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["sessions"] == 6 and data["simulated_answers"] == 30
    assert {row["condition"] for row in data["by_condition"]} == {
        "hidden reference",
        "anchor 3.5 kHz",
        "anchor 7 kHz",
        "ai:landr",
        "ai:ozone",
    }
    assert data["tests"]["friedman"]["df"] == 4
    page = html.read_text()
    assert "<svg" in page and "ai:landr" in page
    out = tmp_path / "stimuli"
    assert run_cli(*base, "stimuli", "cli", "--out", str(out)).code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest) == 5 and all((out / m["file"]).is_file() for m in manifest)


def test_bad_input_is_one_line_and_exit_2(audio_study) -> None:
    study, _ = audio_study
    base = ["--study", str(study.root), "listen"]
    result = run_cli(*base, "create", "x", "--design", "mushra", "--conditions", "ai:none")
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert run_cli(*base, "report", "nosuchtest").code == 2
