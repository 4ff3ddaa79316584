"""Every command that only reads runs on a study on a read-only mount (a copy on a
read-only share), and opens the study read-only wherever it is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from earwitness.cli import cli
from earwitness.clikit import READ_ONLY_COMMANDS
from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._coding import apply_code
from earwitness.study import Study, init_study
from tests.code.conftest import SMALL_CODEBOOK, add_documents
from tests.helpers import invoke_cli, make_read_only, small_filesystem

# command -> its arguments, and whether it must succeed on this study (True) or may
# refuse for want of data (False: a survey report with no survey); never as read-only.
RUNS: dict[str, tuple[list[str], bool]] = {
    "status": (["--json"], True),
    "export": (["documents", "--out", "{out}/documents.csv"], True),
    "services": (["--json"], True),
    "code agreement": (["--coders", "ana,ben", "--json"], True),
    "code codebook show": (["--json"], True),
    "code codebook export": (["{out}/codebook.yaml"], True),
    "code export-qdpx": (["{out}/study.qdpx"], True),
    "code report": (["frequencies", "--json"], True),
    "code retrieve": (["Harsh", "--json"], True),
    "code suggestions": (["--json"], True),
    "code stance report": (["--json"], True),
    "code stance tools": (["--json"], True),
    "groups coverage": (["--json"], True),
    "survey report": (["--json"], False),
    "listen list": (["--json"], True),
    "listen report": (["no-such-test", "--json"], False),
    "workbench token list": ([], True),
}
NOT_RUN_HERE = {"dashboard"}  # it serves until stopped; tests/dashboard open it read-only


def _coded(root: Path) -> Study:
    study = init_study(root)
    with study.open_store() as store:
        add_documents(store)
        write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
        for coder, start in (("ana", 40), ("ben", 45)):
            apply_code(store, "Harsh", coder=coder, document="forum:t1", start=start, end=60)
    return study


@pytest.fixture(scope="module")
def read_only_study(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Study]:
    base = tmp_path_factory.mktemp("ro")
    with small_filesystem(base / "share", "8m") as share:
        study = _coded(share / "study")
        make_read_only(share)
        yield study


def _command_paths(group: click.Group, prefix: str = "") -> set[str]:
    paths = set()
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        path = f"{prefix}{name}"
        paths.add(path)
        if isinstance(command, click.Group):
            paths |= _command_paths(command, f"{path} ")
    return paths


def test_every_read_only_command_exists_and_is_tested_here() -> None:
    assert _command_paths(cli) >= READ_ONLY_COMMANDS
    assert set(RUNS) | NOT_RUN_HERE == READ_ONLY_COMMANDS


@pytest.mark.parametrize("command", sorted(RUNS))
def test_a_reading_command_runs_on_a_read_only_mount(
    command: str, read_only_study: Study, tmp_path: Path
) -> None:
    args, must_succeed = RUNS[command]
    before = _listing(read_only_study.root)
    result = invoke_cli(
        "--study",
        str(read_only_study.root),
        *command.split(),
        *(arg.replace("{out}", str(tmp_path)) for arg in args),
    )
    assert "read-only" not in result.stderr and "internal error" not in result.stderr, result.stderr
    if must_succeed:
        assert result.code == 0, result.stderr
    else:
        assert result.code == 2 and result.stderr.startswith("earwitness: error: ")
    assert _listing(read_only_study.root) == before


def test_agreement_and_codebook_give_the_study_s_figures_on_a_read_only_mount(
    read_only_study: Study,
) -> None:
    shown = invoke_cli("--study", str(read_only_study.root), "code", "codebook", "show", "--json")
    assert "Quality/Harsh" in {row["path"] for row in json.loads(shown.stdout)}
    agreement = invoke_cli(
        "--study", str(read_only_study.root), "code", "agreement", "--coders", "ana,ben", "--json"
    )
    rows = json.loads(agreement.stdout)
    harsh = next(row for row in rows if row["code"] == "Quality/Harsh")
    assert harsh["coded"] == [60 - 40, 60 - 45]  # ana's and ben's characters


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
    }
