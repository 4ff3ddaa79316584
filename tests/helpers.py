"""Helpers shared by tests: run `earwitness` (in this process or as a real subprocess), read a
whole study database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.store import Store, schema


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


def invoke_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``earwitness.cli.main(ARGS)`` in this process, as `earwitness ARGS` would run.

    The same entry point as the installed command (its one-line errors and exit codes),
    without starting an interpreter: stdout, stderr, the environment and the working
    folder are isolated for the call. Start-up itself is tested with :func:`run_cli`.
    """
    from click.testing import CliRunner

    from earwitness.cli import main

    overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith("EARWITNESS_")}
    overrides.update(env or {})
    previous = Path.cwd()
    with CliRunner().isolation(env=overrides) as (stdout, stderr, _):
        if cwd is not None:
            os.chdir(cwd)
        try:
            main(list(args))
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
        finally:
            os.chdir(previous)
            sys.stdout.flush()
            sys.stderr.flush()
        return Result(code, stdout.getvalue().decode(), stderr.getvalue().decode())


def database_text(store: Store) -> str:
    """Every row of every table of the study, one line each, for privacy assertions.

    Values appear as they are stored (``str``), so a test can assert that a handle, an
    address or a credential appears nowhere, on SQLite and on PostgreSQL alike.
    """
    lines: list[str] = []
    with store.connect() as connection:
        for table in schema.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                lines.append(f"{table.name}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


def stored_as_token(value: str, text: str) -> bool:
    """Whether ``value`` stands in ``text`` as a whole token: "9104" inside a UUID's hex or
    a longer number is not the response id 9104."""
    return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text) is not None


def share_key(source_root: Path, target_root: Path) -> None:
    """Give the study at ``target_root`` the pseudonym key of ``source_root`` (as a team
    shares it) and record that key's fingerprint in the target's database."""
    from earwitness.store import record_key
    from earwitness.store.schema import study_meta
    from earwitness.study import find_study

    key = (source_root / "secret.key").read_bytes()
    (target_root / "secret.key").write_bytes(key)
    target = find_study(target_root)
    with Store.open(target.db_url, check_schema=False) as store, store.transaction() as connection:
        connection.execute(study_meta.delete())
        record_key(connection, target.key())


@contextmanager
def small_filesystem(path: Path, size: str = "1m") -> Iterator[Path]:
    """A real small file system (tmpfs) at ``path``, so a test can fill it up or make it
    read-only. Skipped, with the reason, where mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def make_read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)


def fill_up(path: Path, leave: int = 0) -> Path:
    """Fill the file system holding ``path`` until ``leave`` bytes or fewer are free."""
    filler = path / ".filler"
    with filler.open("wb") as handle:
        while True:
            free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
            if free <= leave:
                break
            try:
                handle.write(b"\0" * min(65536, max(free - leave, 1)))
                handle.flush()
            except OSError:
                break
    return filler


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (tests run in parallel)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_dashboard(study_root: Path, attempts: int = 120) -> Iterator[str]:
    """The real Streamlit dashboard of the study on a free port, until the block ends; its
    URL once /_stcore/health answers (polled every 0.5 s, ``attempts`` times)."""
    with dashboard_server(study_root, attempts) as (url, _process):
        yield url


@contextmanager
def dashboard_server(
    study_root: Path, attempts: int = 120
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`serve_dashboard` with the server's process (benchmarks read its memory)."""
    from earwitness.dashboard import streamlit_command

    port = free_port()
    env = {**os.environ, "EARWITNESS_STUDY": str(study_root)}
    process = subprocess.Popen(
        streamlit_command("127.0.0.1", port), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(attempts):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def dask_scheduler(workers: int = 1) -> Iterator[str]:
    """A Dask scheduler and ``workers`` workers started as separate processes, as a
    cluster's own tools would (``dask scheduler``, ``dask worker``); yields its address."""
    pytest.importorskip("distributed")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"], **quiet
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nworkers",
            str(workers),
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        **quiet,
    )
    try:
        _wait_for_workers(address, workers)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_workers(address: str, workers: int, timeout: float = 60) -> None:
    from distributed import Client

    deadline = time.monotonic() + timeout
    while True:
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(workers, timeout=max(1.0, deadline - time.monotonic()))
                return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
