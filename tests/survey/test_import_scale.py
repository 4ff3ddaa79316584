"""A survey import is set-wise and chunked: linear in rows, resumable, and it lets other
writers of an SQLite study in between chunks. SIMULATED respondents (seeded)."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from earwitness.store import Store, export_table
from earwitness.study import Study, init_study
from earwitness.survey import _import
from earwitness.survey._import import import_file
from earwitness.survey._infer import infer_instrument
from earwitness.survey._readers import read_export
from tests.helpers import share_key

ITEMS = 5


def _export(path: Path, respondents: int, seed: int = 3) -> Path:
    rng = random.Random(seed)
    codes = ["StartDate", "ResponseId"] + [f"Q{i}" for i in range(1, ITEMS + 1)]
    ids = ["startDate", "_recordId"] + [f"QID{i}" for i in range(1, ITEMS + 1)]
    lines = [",".join(codes), ",".join(codes), ",".join(f'"{{""ImportId"":""{i}""}}"' for i in ids)]
    for n in range(respondents):
        answers = ",".join(str(rng.randint(1, 5)) for _ in range(ITEMS))
        lines.append(f"2026-01-01 10:00:00,R_sim{n:06d},{answers}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count_statements(store: Store, verb: str) -> list[int]:
    seen = [0]

    def count(_conn, _cursor, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(verb):
            seen[0] += 1

    sa.event.listen(store.engine, "before_cursor_execute", count)
    return seen


def test_reimport_deletes_set_wise_not_per_respondent(study: Study, tmp_path: Path) -> None:
    first = _export(tmp_path / "export.csv", 4500)
    second = tmp_path / "export-updated.csv"
    second.write_bytes(first.read_bytes() + b"\n")  # same answers, another file
    instrument = infer_instrument(read_export(first))
    with study.open_store() as store:
        import_file(store, first, study.key(), instrument=instrument)
        deletes = _count_statements(store, "DELETE")
        commits = [0]
        sa.event.listen(store.engine, "commit", lambda _c: commits.__setitem__(0, commits[0] + 1))
        result = import_file(store, second, study.key(), instrument=instrument)
        indexed = {
            tuple(ix["column_names"])
            for ix in sa.inspect(store.engine).get_indexes("survey_responses")
        }
    assert result.replaced_respondents == 4500
    assert result.n_responses == 4500 * ITEMS
    # set-wise: one DELETE per 500 earlier rows; the old code ran one per respondent
    assert 0 < deletes[0] <= 4500 * ITEMS // 500 + 10 < 4500 // 10, deletes[0]
    assert commits[0] >= 4500 // _import.CHUNK_RESPONDENTS
    assert ("participant_id",) in indexed


def test_an_interrupted_import_resumes_to_the_same_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _export(tmp_path / "export.csv", 5000)
    clean = init_study(tmp_path / "clean")
    with clean.open_store() as store:
        import_file(store, export, clean.key())
        expected = export_table(store.engine.connect(), "survey")

    study = init_study(tmp_path / "interrupted")
    share_key(clean.root, study.root)
    real = _import._store_respondents
    calls = [0]

    def crash_on_second_chunk(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with study.open_store() as store:
        monkeypatch.setattr(_import, "_store_respondents", crash_on_second_chunk)
        with pytest.raises(KeyboardInterrupt):
            import_file(store, export, study.key())
        monkeypatch.setattr(_import, "_store_respondents", real)
        with store.connect() as connection:
            partial = export_table(connection, "survey")
        assert 0 < len(partial) < len(expected)
        result = import_file(store, export, study.key())
        assert result.n_responses == len(expected) - len(partial)
        got = export_table(store.engine.connect(), "survey")
        with pytest.raises(Exception, match="already imported"):
            import_file(store, export, study.key())
    columns = ["respondent", "item", "value", "value_num"]
    pd.testing.assert_frame_equal(
        got[columns].sort_values(columns).reset_index(drop=True),
        expected[columns].sort_values(columns).reset_index(drop=True),
    )
