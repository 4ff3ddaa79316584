"""Batched document and participant writes give what one-at-a-time writes give."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from earwitness.store import DocumentRecord, schema
from earwitness.store.records import (
    ensure_participant,
    ensure_participants,
    upsert_document,
    upsert_documents,
)
from earwitness.study import Study


def _scenario() -> list[DocumentRecord]:
    """Repeats, edits, score changes, deletions and removals, on two platforms."""
    return [
        DocumentRecord("reddit", "t1_a", "first words", score=1),
        DocumentRecord("reddit", "t1_b", "[removed]", score=0),
        DocumentRecord("forum", "t1_a", "same id, other platform", score=2),
        DocumentRecord("reddit", "t1_a", "first words", score=1),
        DocumentRecord("reddit", "t1_a", "edited words", score=3),
        DocumentRecord("reddit", "t1_c", "kept", score=None),
        DocumentRecord("reddit", "t1_a", " [deleted] ", score=4),
        DocumentRecord("reddit", "t1_a", "[deleted]", score=5),
        DocumentRecord("reddit", "t1_b", "[removed]", score=0),
        DocumentRecord("reddit", "t1_c", "kept", score=7),
        DocumentRecord("reddit", "t1_b", "[deleted]", score=1),
    ]


_EXPECTED = [
    "new",
    "deleted",
    "new",
    "unchanged",
    "updated",
    "new",
    "deleted",
    "unchanged",
    "unchanged",
    "updated",
    "deleted",
]
_COLUMNS = ("id", "platform", "native_id", "text", "text_sha256", "score", "status", "guid")


def _table(connection: sa.Connection) -> list[tuple[Any, ...]]:
    columns = [schema.documents.c[name] for name in _COLUMNS]
    return [tuple(row) for row in connection.execute(sa.select(*columns).order_by("id"))]


def test_a_batch_writes_what_one_at_a_time_writes(any_study: Study, tmp_path: Any) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        batched = upsert_documents(connection, _scenario())
        batched_rows = _table(connection)
        connection.execute(schema.documents.delete())
    with any_study.open_store() as store, store.transaction() as connection:
        single = [upsert_document(connection, record) for record in _scenario()]
        single_rows = _table(connection)
    assert [outcome for _, outcome in batched] == _EXPECTED
    assert [outcome for _, outcome in single] == _EXPECTED
    offset = single[0][0] - batched[0][0]
    assert [(i + offset, o) for i, o in batched] == single
    assert [(r[0] + offset, *r[1:]) for r in batched_rows] == single_rows
    by_key = {(r[1], r[2]): r for r in single_rows}
    assert by_key["reddit", "t1_a"][3:7] == (
        "edited words",
        by_key["reddit", "t1_a"][4],
        4,
        "deleted",
    )
    assert by_key["reddit", "t1_b"][6] == "deleted"
    assert by_key["reddit", "t1_c"][5] == 7


def test_a_batch_sees_documents_written_before_it(any_study: Study) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        before = upsert_documents(
            connection,
            [DocumentRecord("reddit", f"t1_{n}", f"text {n}", score=n) for n in range(1200)],
        )
        after = upsert_documents(
            connection,
            [
                DocumentRecord("reddit", f"t1_{n}", f"text {n}", score=n + (n % 3 == 0))
                for n in range(1300)
            ],
        )
        count = connection.execute(sa.select(sa.func.count()).select_from(schema.documents))
        assert count.scalar() == 1300
    assert {outcome for _, outcome in before} == {"new"}
    assert [a[0] for a in after[:1200]] == [b[0] for b in before]
    expected = ["updated", "unchanged", "unchanged", "updated", "unchanged", "unchanged"]
    assert [o for _, o in after[:6]] == expected
    assert {o for _, o in after[1200:]} == {"new"}


def test_an_empty_batch_writes_nothing(any_study: Study) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        assert upsert_documents(connection, []) == []
        assert ensure_participants(connection, []) == {}
        rows = connection.execute(sa.select(sa.func.count()).select_from(schema.documents))
        assert rows.scalar() == 0


def test_participants_in_one_batch_match_one_at_a_time(any_study: Study) -> None:
    names = [f"p_{n:010x}" for n in range(700)]
    with any_study.open_store() as store, store.transaction() as connection:
        known = ensure_participant(connection, names[5], kind="respondent")
        ids = ensure_participants(connection, [*names, names[0]], kind="author")
        again = {name: ensure_participant(connection, name) for name in names[:3]}
        kinds = dict(
            connection.execute(
                sa.select(schema.participants.c.pseudonym, schema.participants.c.kind)
            ).all()
        )
    assert ids[names[5]] == known and kinds[names[5]] == "respondent"
    assert len(set(ids.values())) == len(names) == len(kinds)
    assert all(again[name] == ids[name] for name in again)
    assert kinds[names[0]] == "author"
