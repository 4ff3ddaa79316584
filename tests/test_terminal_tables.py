"""Every report reads well in a terminal of 80 or 120 columns, piped or not: no header or
cell cut to "…", no line wider than the terminal, and a pointer to --csv/--json when
columns are left out. Run on the demo study (SIMULATED data), built once."""

from __future__ import annotations

import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path
from typing import Any

import pytest

from earwitness.clikit import _fit
from tests.helpers import invoke_cli

WIDTHS = (80, 120)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@pytest.fixture(scope="module")
def demo(built_demo: tuple[Path, Any]) -> dict[str, str]:
    root, built = built_demo  # built once per test process (tests/conftest.py)
    assert built.exit_code == 0, built.output
    tests = json.loads(invoke_cli("--study", str(root), "listen", "list", "--json").stdout)
    return {"study": str(root), "test": tests[0]["name"]}


REPORTS: list[list[str]] = [
    ["status"],
    ["settings"],
    ["services"],
    ["code", "agreement"],
    ["code", "agreement", "--by", "document"],
    ["code", "codebook", "show"],
    ["code", "report", "frequencies"],
    ["code", "report", "functionalities"],
    ["code", "report", "cooccurrence"],
    ["code", "report", "segments", "--code", "Perceived quality/Audible artefacts"],
    ["code", "retrieve", "Perceived quality/Audible artefacts"],
    ["code", "stance", "report"],
    ["code", "stance", "tools"],
    ["groups", "coverage"],
    ["survey", "report"],
    ["audio", "compare"],
    ["listen", "list"],
    ["listen", "report", "{test}"],
]


def _check(text: str, width: int) -> None:
    plain = _ANSI.sub("", text)
    assert "…" not in plain, plain
    too_wide = [line for line in plain.splitlines() if len(line) > width]
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", REPORTS, ids=" ".join)
def test_a_report_piped_fits_without_cutting(
    demo: dict[str, str], command: list[str], width: int
) -> None:
    args = [part.replace("{test}", demo["test"]) for part in command]
    result = invoke_cli("--study", demo["study"], *args, env={"COLUMNS": str(width)})
    assert result.code == 0, result.stderr
    assert "┃" in result.stdout, result.stdout  # a table was printed
    _check(result.stdout, width)


def _on_a_terminal(args: list[str], width: int) -> str:
    """Run `earwitness ARGS` with its stdout on a real pseudo-terminal ``width`` wide."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(
        [sys.executable, "-m", "earwitness", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "command", [["code", "stance", "report"], ["code", "agreement"]], ids=" ".join
)
def test_a_report_on_a_terminal_fits_without_cutting(
    demo: dict[str, str], command: list[str], width: int
) -> None:
    text = _on_a_terminal(["--study", demo["study"], *command], width)
    assert "\x1b[" in text, "not rendered for a terminal"
    _check(text, width)


def test_the_stance_report_shows_what_a_reader_needs_and_where_the_rest_is(
    demo: dict[str, str],
) -> None:
    result = invoke_cli("--study", demo["study"], "code", "stance", "report", env={"COLUMNS": "80"})
    header = next(line for line in result.stdout.splitlines() if line.startswith("┃"))
    for column in ("tool", "group", "n", "positive_share", "negative_share", "provenance"):
        assert f" {column} " in header
    assert "use --csv or --json for every column" in result.stdout
    every = json.loads(
        invoke_cli("--study", demo["study"], "code", "stance", "report", "--json").stdout
    )
    # JSON keeps every column, those the table leaves out too
    assert {"validation_flag", "more_labels", "group_provenance"} <= set(every[0])


def test_agreement_code_names_wrap_at_spaces_over_few_lines(demo: dict[str, str]) -> None:
    result = invoke_cli("--study", demo["study"], "code", "agreement", env={"COLUMNS": "80"})
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    first_cells = [line.split("│")[1].strip() for line in rows]
    runs, current = [], 0  # lines per table row: a new row starts where documents is set
    for line in rows:
        if line.split("│")[2].strip():
            runs.append(current)
            current = 1
        else:
            current += 1
    runs.append(current)
    assert max(runs) <= 3, first_cells


def test_fit_drops_columns_from_the_end_and_never_goes_below_a_word() -> None:
    columns = ["name", "value", "extra"]
    cells = [["Control and transparency/Adjustable starting point", "0.5", "x" * 30]]
    shown = _fit(columns, cells, [0, 1, 2], 40)
    assert [index for index, _ in shown] == [0, 1]  # "extra" needs 24 + its borders
    widths = dict(shown)
    assert widths[0] >= len("transparency/Adjustable") and widths[1] >= len("value")
    assert sum(widths.values()) + 3 * len(shown) + 1 <= 40
