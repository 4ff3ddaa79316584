"""Start-up stays light: the everyday commands never import the heavy libraries.

Each command runs in a fresh interpreter (a real subprocess, as a user starts it), which
then reports the heavy modules it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "scipy", "sklearn", "torch", "pyarrow", "spacy", "statsmodels")
PROBE = """
import json, sys
from earwitness.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
sys.stderr.write("\\nHEAVY " + json.dumps([code, heavy]) + "\\n")
"""


def _heavy_imports(*args: str, cwd: Path) -> tuple[int, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EARWITNESS_STUDY", None)
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("HEAVY "))
    code, heavy = json.loads(line.removeprefix("HEAVY "))
    return code, heavy


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup")
    code, heavy = _heavy_imports("init", str(root / "study"), cwd=root)
    assert (code, heavy) == (0, []), "`earwitness init` imported " + ", ".join(heavy)
    return root / "study"


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("status",),
        ("status", "--json"),
        ("settings",),
        ("groups", "--help"),
        ("db", "upgrade"),
    ],
    ids=" ".join,
)
def test_everyday_commands_import_no_heavy_library(args: tuple[str, ...], study_dir: Path) -> None:
    code, heavy = _heavy_imports(*args, cwd=study_dir)
    assert code in (0, None)
    assert heavy == [], f"`earwitness {' '.join(args)}` imported {', '.join(heavy)}"


def test_the_probe_sees_a_heavy_import(study_dir: Path) -> None:
    """The check can fail: `export` needs pandas, and the probe reports it."""
    code, heavy = _heavy_imports("export", "documents", cwd=study_dir)
    assert code in (0, None)
    assert "pandas" in heavy
