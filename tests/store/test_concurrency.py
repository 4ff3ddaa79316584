"""Concurrent writers on a real PostgreSQL server, as separate processes.

Several coders first using one coder name, applying one coding, creating the same
participants, or importing the same dump file at the same moment: each write is
idempotent or refused with one clear line, never an internal error, never a duplicate.
A memo edited under another process's feet is detected, not silently overwritten.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._coding import apply_code
from earwitness.store import Store
from earwitness.store.schema import coders, codings, collection_cursors, participants, sources
from earwitness.study import Study, init_study
from tests.code.conftest import POSTS, SMALL_CODEBOOK, add_documents
from tests.store import _workers

PROCESSES = 6
ROUNDS = 8


@pytest.fixture
def pg_study(tmp_path: Path, pg_url: str) -> Study:
    return init_study(tmp_path / "study", name="team", db_url=pg_url)


@pytest.fixture
def spawn(monkeypatch: pytest.MonkeyPatch) -> multiprocessing.context.SpawnContext:
    # Spawned workers re-run the parent's __main__; Streamlit's AppTest (tests/dashboard)
    # leaves a page script there, so give them a plain one (the workers import what they need).
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    return multiprocessing.get_context("spawn")


def _coded(study: Study) -> None:
    with study.open_store() as store:
        add_documents(store)
        write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))


def test_first_use_of_a_coder_and_one_coding_by_many_processes(
    pg_study: Study, spawn: multiprocessing.context.SpawnContext
) -> None:
    _coded(pg_study)
    text = POSTS["t1"][1]
    spans = [(i, i + 5) for i in range(ROUNDS)]
    assert spans[-1][1] <= len(text)
    with spawn.Manager() as manager, spawn.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        results = pool.starmap(
            _workers.apply_same_coding,
            [(pg_study.db_url, barrier, ROUNDS, spans)] * PROCESSES,
        )
    outcomes = [o for worker in results for o in worker]
    assert outcomes == ["ok"] * (PROCESSES * ROUNDS), sorted(set(outcomes))
    with Store.open(pg_study.db_url) as store, store.connect() as connection:
        names = connection.execute(sa.select(coders.c.name)).scalars().all()
        n_codings = connection.execute(sa.select(sa.func.count()).select_from(codings)).scalar()
    assert sorted(names) == sorted(f"coder-{r}" for r in range(ROUNDS))
    assert n_codings == ROUNDS


def test_same_participants_created_by_many_processes(
    pg_study: Study, spawn: multiprocessing.context.SpawnContext
) -> None:
    with spawn.Manager() as manager, spawn.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        results = pool.starmap(
            _workers.ensure_same_participants, [(pg_study.db_url, barrier, ROUNDS)] * PROCESSES
        )
    outcomes = [o for worker in results for o in worker]
    assert outcomes == ["ok"] * (PROCESSES * ROUNDS), sorted(set(outcomes))
    with Store.open(pg_study.db_url) as store, store.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(participants)).scalar()
    assert count == 20 * ROUNDS


def _dump_sources(study: Study) -> list[tuple[str, str]]:
    with Store.open(study.db_url) as store, store.connect() as connection:
        rows = connection.execute(
            sa.select(sources.c.native_id, sources.c.content_sha256).where(
                sources.c.platform == "reddit-dump"
            )
        ).all()
    return sorted((str(a), str(b)) for a, b in rows)


def test_concurrent_imports_of_one_dump_leave_one_set_of_provenance(
    pg_study: Study, spawn: multiprocessing.context.SpawnContext, shared_dir: Path, tmp_path: Path
) -> None:
    dump = next((shared_dir / "fixtures" / "pushshift").glob("RC_*.zst"))
    reference = init_study(tmp_path / "reference")
    assert _workers.import_one_dump.__name__  # the same work, alone, on SQLite:
    with spawn.Manager() as manager, spawn.Pool(1) as pool:
        alone = pool.apply(
            _workers.import_one_dump, (str(reference.root), str(dump), manager.Barrier(1))
        )
    assert alone == "ok"
    with spawn.Manager() as manager, spawn.Pool(4) as pool:
        barrier = manager.Barrier(4)
        outcomes = pool.starmap(
            _workers.import_one_dump, [(str(pg_study.root), str(dump), barrier)] * 4
        )
    assert not [o for o in outcomes if o.startswith("internal")], outcomes
    assert all(o == "ok" or "another run" in o for o in outcomes), outcomes
    with spawn.Manager() as manager, spawn.Pool(1) as pool:  # finish whatever was refused
        again = pool.apply(
            _workers.import_one_dump, (str(pg_study.root), str(dump), manager.Barrier(1))
        )
    assert again == "ok"
    expected = _dump_sources(reference)
    assert len(expected) > 3
    assert _dump_sources(pg_study) == expected


def test_cli_processes_first_using_one_coder_name(pg_study: Study) -> None:
    """18 `earwitness code apply` processes, one new coder name, one span (issue 18)."""
    _coded(pg_study)
    command = [
        sys.executable,
        "-m",
        "earwitness",
        "--study",
        str(pg_study.root),
        "code",
        "apply",
        "Quality/Harsh",
        "--coder",
        "newcomer",
        "--document",
        "forum:t1",
        "--start",
        "0",
        "--end",
        "4",
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(18)
    ]
    results = [(p.wait(timeout=240), p.stderr.read() if p.stderr else "") for p in processes]
    assert [r for r in results if r[0] != 0] == []
    with Store.open(pg_study.db_url) as store, store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(codings)).scalar() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(coders)).scalar() == 1


def _waiting_on_a_lock(admin: sa.Engine, database: str) -> bool:
    with admin.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                "AND wait_event_type = 'Lock'"
            ),
            {"db": database},
        ).scalar()
    return bool(waiting)


def test_a_memo_changed_by_another_process_meanwhile_is_kept_and_the_edit_refused(
    pg_study: Study,
) -> None:
    _coded(pg_study)
    with Store.open(pg_study.db_url) as store:
        coding_id, _ = apply_code(
            store, "Quality/Harsh", coder="ana", document="forum:t1", start=0, end=4, memo="first"
        )
        holder = store.engine.connect()
        transaction = holder.begin()
        # another coder's edit, not yet committed: it holds the row
        holder.execute(codings.update().where(codings.c.id == coding_id).values(memo="theirs"))
        editor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "earwitness",
                "--study",
                str(pg_study.root),
                "code",
                "apply",
                "Quality/Harsh",
                "--coder",
                "ana",
                "--document",
                "forum:t1",
                "--start",
                "0",
                "--end",
                "4",
                "--memo",
                "mine",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        admin = sa.create_engine(store.engine.url)
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock(admin, str(store.engine.url.database)):
            assert editor.poll() is None, editor.communicate()
            assert time.monotonic() < deadline, "the editor never reached the row lock"
            time.sleep(0.1)
        transaction.commit()
        holder.close()
        admin.dispose()
        _out, err = editor.communicate(timeout=120)
        assert editor.returncode == 2, err
        assert len(err.strip().splitlines()) == 1
        assert "memo was changed by another coder" in err
        with store.connect() as connection:
            memo = connection.execute(
                sa.select(codings.c.memo).where(codings.c.id == coding_id)
            ).scalar()
    assert memo == "theirs"


def test_a_cursor_moved_by_another_run_stops_this_one(pg_study: Study) -> None:
    from earwitness.collect._items import ItemWriter

    with pg_study.open_store() as store:
        first = ItemWriter(pg_study, store, source="reddit-dump", query_key="f|1|")
        second = ItemWriter(pg_study, store, source="reddit-dump", query_key="f|1|")
        first.write_page([], state={"offset": 10})
        with pytest.raises(Exception, match="another run of this same collection"):
            second.write_page([], state={"offset": 10})
        first.write_page([], state={"offset": 20}, done=True)
        with store.connect() as connection:
            state = connection.execute(sa.select(collection_cursors.c.state)).scalar_one()
    assert state == {"offset": 20}
