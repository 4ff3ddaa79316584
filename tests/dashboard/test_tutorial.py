"""docs/tutorial.md cannot drift: its code blocks are docs/tutorial.sh's commands, in order,
and the script runs from an installed wheel in an empty folder.

The wheel is built from a copy of the source (``pip wheel --no-deps``, no download) and
installed into a fresh virtual environment that reuses the shared environment's
dependencies through a ``.pth`` line (its own ``earwitness`` comes first: the shared
environment's editable hook is not loaded from a ``.pth`` directory).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MD, SCRIPT = ROOT / "docs" / "tutorial.md", ROOT / "docs" / "tutorial.sh"


def _md_commands(text: str) -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _script_commands(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("set ")
    ]


def test_the_page_shows_the_scripts_commands_in_order() -> None:
    page, script = _md_commands(MD.read_text()), _script_commands(SCRIPT.read_text())
    assert page == script
    assert "earwitness code stance detect" in script
    assert not [c for c in script if "../data/" in c]  # nothing from a source tree


def _install_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".git", ".venv", "tests", "test-artifacts", "build",
                                      "*.egg-info", "__pycache__", "benchmarks", "docs"),
    )  # fmt: skip
    wheels = tmp / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels),
         str(source)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = wheels.glob("earwitness-*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return venv


@pytest.mark.slow
def test_the_tutorial_runs_from_an_installed_wheel_in_an_empty_folder(tmp_path: Path) -> None:
    venv = _install_wheel(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EARWITNESS_STUDY")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", COLUMNS="100")  # fmt: skip
    work = tmp_path / "empty"
    work.mkdir()
    where = subprocess.run(
        ["python", "-c", "import earwitness; print(earwitness.__file__)"],
        cwd=work, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(venv)), where  # the wheel, not the source tree
    ran = subprocess.run(
        ["bash", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=1500
    )
    assert ran.returncode == 0, ran.stderr[-3000:] + ran.stdout[-3000:]
    study = work / "ai-mastering"
    codings = (study / "exports" / "codings.csv").read_text().splitlines()
    metrics = (study / "exports" / "metrics.csv").read_text().splitlines()
    assert len(codings) > 100 and len(metrics) > 100
    assert "target-rules" in ran.stdout  # code stance detect ran and found mentions
    assert (study / "exports" / "survey-report.html").stat().st_size > 10_000
