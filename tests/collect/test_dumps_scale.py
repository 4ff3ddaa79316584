"""Dump import in partitions: the same stored rows in-process, on a LocalCluster and on a
separately started scheduler, after a lost worker and after a killed driver's rerun
(real Pushshift samples, real Dask, real SQLite)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.collect import _dumps
from earwitness.collect._dumps import DumpFilter, DumpProgress, _partitions, import_dumps
from earwitness.partitions import Scheduler, parse_scheduler, scheduler_client
from earwitness.store.schema import collection_cursors, documents, group_evidence, participants
from earwitness.store.schema import sources as sources_table
from earwitness.study import Study
from tests.helpers import dask_scheduler

# ~80 comments and ~55 submissions of the samples; pages of 10 candidate lines
KEYWORDS = ("research", "study", "brain")
PAGE = 10


@pytest.fixture
def dumps(shared_dir: Path) -> list[Path]:
    folder = shared_dir / "fixtures" / "pushshift"
    return [next(folder.glob("RC_*.zst")), next(folder.glob("RS_*.zst"))]


def _copy(study: Study, root: Path) -> Study:
    """A study with the same key (so the same pseudonyms), still empty."""
    shutil.copytree(study.root, root)
    return Study.load(root)


def _import(study: Study, paths: list[Path], scheduler: Scheduler, **options: Any) -> None:
    with study.open_store() as store:
        import_dumps(
            study,
            store,
            paths,
            dump_filter=DumpFilter.build(keywords=KEYWORDS),
            page_items=PAGE,
            scheduler=scheduler,
            **options,
        )


def snapshot(study: Study) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row an import writes, without database ids and write times."""
    d, p, e, s = documents.c, participants.c, group_evidence.c, sources_table.c
    skipped = {"id", "guid", "source_id", "participant_id", "created_at", "updated_at"}
    columns = [column for column in d if column.name not in skipped]
    with study.open_store() as store, store.connect() as connection:
        docs = connection.execute(
            sa.select(*columns, p.pseudonym)
            .outerjoin(participants, d.participant_id == p.id)
            .order_by(d.platform, d.native_id)
        )
        evidence = connection.execute(
            sa.select(d.native_id, p.pseudonym, e.kind, e.quote, e.suggested_group, e.start, e.end)
            .join(documents, e.document_id == d.id)
            .join(participants, e.participant_id == p.id)
            .order_by(d.native_id, e.kind, e.start, e.end)
        )
        pages = connection.execute(
            sa.select(s.url, s.native_id, s.content_sha256, s.extra).order_by(
                s.native_id, s.content_sha256
            )
        )
        return {
            "documents": [tuple(row) for row in docs],
            "evidence": [tuple(row) for row in evidence],
            "pages": [(r.url, r.native_id, r.content_sha256, repr(r.extra)) for r in pages],
        }


def test_partitions_are_cut_where_a_resumed_import_cuts_them(
    dumps: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = dumps[0]
    wanted = DumpFilter.build()
    whole = list(_partitions(rc, DumpProgress(), wanted, 37, 100))
    monkeypatch.setattr(_dumps, "_CHUNK_SIZE", 4096)  # other read boundaries, same cuts
    small_reads = list(_partitions(rc, DumpProgress(), wanted, 37, 100))
    assert [(p.first_line, p.end_line, p.end_offset, p.lines) for p in small_reads] == [
        (p.first_line, p.end_line, p.end_offset, p.lines) for p in whole
    ]
    assert whole[-1].done and whole[-1].end_line == 769
    assert sum(len(p.lines) for p in whole) == 769
    middle = whole[len(whole) // 2]
    resumed = list(
        _partitions(rc, DumpProgress(middle.end_line, middle.end_offset), wanted, 37, 100)
    )
    assert [(p.end_line, p.lines) for p in resumed] == [
        (p.end_line, p.lines) for p in whole[len(whole) // 2 + 1 :]
    ]
    cuts = {p.end_line for p in whole}
    assert {100, 200, 700} <= cuts and any(len(p.lines) == 37 for p in whole)


@pytest.mark.slow
def test_in_process_local_cluster_and_separate_scheduler_store_the_same_rows(
    study: Study, dumps: list[Path], tmp_path: Path
) -> None:
    local, remote = _copy(study, tmp_path / "local"), _copy(study, tmp_path / "remote")
    _import(study, dumps, Scheduler())
    expected = snapshot(study)
    assert len(expected["documents"]) > 100 and len(expected["pages"]) > 10
    assert any("[name]" in row for doc in expected["documents"] for row in doc if row)
    _import(local, dumps, parse_scheduler("local:2"))
    assert snapshot(local) == expected
    with dask_scheduler(workers=1) as address:
        _import(remote, dumps, parse_scheduler(address))
    assert snapshot(remote) == expected


@pytest.mark.slow
def test_a_worker_killed_mid_import_changes_nothing(
    study: Study, dumps: list[Path], tmp_path: Path
) -> None:
    other = _copy(study, tmp_path / "other")
    _import(study, dumps, Scheduler())
    local = parse_scheduler("local:2")
    killed: list[int] = []
    with scheduler_client(local) as client:

        def kill_one(_read: int, _items: int) -> None:
            if not killed:
                killed.append(next(iter(client.run(os.getpid).values())))
                os.kill(killed[0], signal.SIGKILL)

        _import(other, dumps, local, client=client, on_progress=kill_one)
    assert killed
    assert snapshot(other) == snapshot(study)


_DRIVER = """
import sys
from pathlib import Path
from earwitness.collect._dumps import DumpFilter, import_dumps
from earwitness.partitions import parse_scheduler
from earwitness.study import Study
study = Study.load(Path(sys.argv[1]))
with study.open_store() as store:
    import_dumps(study, store, [Path(p) for p in sys.argv[3:]],
                 dump_filter=DumpFilter.build(keywords={keywords!r}), page_items={page},
                 scheduler=parse_scheduler(sys.argv[2]))
"""


def _lines_committed(study: Study) -> int:
    """Lines behind the committed cursors (0 before the first page)."""
    with study.open_store() as store, store.connect() as connection:
        states = connection.execute(sa.select(collection_cursors.c.state)).scalars().all()
    return sum(int(state.get("line", 0)) for state in states)


@pytest.mark.slow
def test_a_killed_driver_rerun_stores_exactly_the_rows_of_an_uninterrupted_import(
    study: Study, dumps: list[Path], tmp_path: Path
) -> None:
    other = _copy(study, tmp_path / "other")
    _import(study, dumps, Scheduler())
    script = textwrap.dedent(_DRIVER.format(keywords=KEYWORDS, page=PAGE))
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    driver = subprocess.Popen(
        [sys.executable, "-c", script, str(other.root), "local:2", *map(str, dumps)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while _lines_committed(other) == 0 and driver.poll() is None:
            assert time.monotonic() < deadline, "the driver wrote no page in time"
            time.sleep(0.2)
        assert driver.poll() is None, "the driver finished before it could be killed"
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.wait(timeout=60)
    partial = snapshot(other)
    assert 0 < len(partial["pages"]) < len(snapshot(study)["pages"])
    _import(other, dumps, Scheduler())
    assert snapshot(other) == snapshot(study)


def test_a_file_named_twice_is_imported_once(study: Study, dumps: list[Path]) -> None:
    study.settings["mask_person_names"] = False  # the partitions, not the model, are tested
    rs = dumps[1]
    with study.open_store() as store:
        summary = import_dumps(
            study, store, [rs, Path(os.path.relpath(rs))], dump_filter=DumpFilter.build(["nosuch"])
        )
    assert summary.items == 0
    with study.open_store() as store, store.connect() as connection:
        cursors = connection.execute(sa.select(collection_cursors.c.state)).scalars().all()
    assert len(cursors) == 1 and cursors[0]["line"] == 424
