"""The dashboard's store: read-only, and viewing creates or changes nothing in the study
folder, while another command writing at the same time is still seen."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import init_study


def _folder(root: Path) -> list[tuple[str, int, int]]:
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in root.iterdir())


def _sources(store: Store) -> int:
    with store.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(s.sources)).scalar())


def test_viewing_writes_nothing_and_sees_a_concurrent_writer(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    before = _folder(study.root)
    viewer = Store.open(study.db_url, create=False, read_only=True, untouched=True)
    assert _sources(viewer) == 0
    with pytest.raises(EarwitnessError), viewer.transaction() as connection:
        connection.execute(s.sources.insert().values(platform="x"))
    assert _folder(study.root) == before  # no -wal, no -shm, no changed time
    writer = Store.open(study.db_url, create=False)
    try:
        with writer.transaction() as connection:
            connection.execute(s.sources.insert().values(platform="reddit"))
        assert _sources(viewer) == 1  # read through the writer's WAL
    finally:
        writer.close()
    assert _sources(viewer) == 1
    viewer.close()
