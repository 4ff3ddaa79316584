"""Helpers shared by tests: run the real `earwitness` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `python -m earwitness ARGS` as a user would, and capture what it says."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
    full_env.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "earwitness", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
