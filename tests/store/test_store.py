"""The store on both backends: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.store import (
    EXPORT_KINDS,
    DocumentRecord,
    Store,
    count_records,
    ensure_coder,
    ensure_participant,
    export_table,
    schema,
    upsert_document,
)
from earwitness.study import Study


def test_sqlite_runs_in_wal_mode_with_foreign_keys(store: Store) -> None:
    with store.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(any_study: Study) -> None:
    with (
        any_study.open_store() as store,
        pytest.raises(sa.exc.IntegrityError),
        store.transaction() as connection,
    ):
        connection.execute(
            schema.segments.insert().values(document_id=999, start=0, end=1, kind="post")
        )


def test_a_failed_transaction_writes_nothing(any_study: Study) -> None:
    with any_study.open_store() as store:
        with pytest.raises(RuntimeError), store.transaction() as connection:
            ensure_participant(connection, "p_0000000001")
            upsert_document(connection, DocumentRecord("reddit", "t3_a", "hello"))
            raise RuntimeError("crash half-way")
        with store.connect() as connection:
            counts = count_records(connection)
    assert counts["participants"] == 0
    assert counts["documents"] == 0


def test_documents_deduplicate_update_and_keep_deleted_text(any_study: Study) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        first = upsert_document(
            connection, DocumentRecord("reddit", "t1_x", "original words", score=1)
        )
        same = upsert_document(
            connection, DocumentRecord("reddit", "t1_x", "original words", score=1)
        )
        edited = upsert_document(
            connection, DocumentRecord("reddit", "t1_x", "edited words", score=5)
        )
        deleted = upsert_document(
            connection, DocumentRecord("reddit", "t1_x", "[deleted]", score=6)
        )
        again = upsert_document(connection, DocumentRecord("reddit", "t1_x", "[deleted]", score=6))
        row = connection.execute(sa.select(schema.documents)).one()
    assert [first[1], same[1], edited[1], deleted[1], again[1]] == [
        "new",
        "unchanged",
        "updated",
        "deleted",
        "unchanged",
    ]
    assert first[0] == edited[0] == deleted[0]
    assert (row.text, row.status, row.score) == ("edited words", "deleted", 6)


def test_a_document_first_seen_deleted_is_marked(any_study: Study) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        _id, outcome = upsert_document(connection, DocumentRecord("reddit", "t1_y", "[removed]"))
        status = connection.execute(sa.select(schema.documents.c.status)).scalar()
    assert (outcome, status) == ("deleted", "removed")


def test_upsert_inserts_then_updates_on_both_backends(any_study: Study) -> None:
    table = schema.audio_metrics
    with any_study.open_store() as store, store.transaction() as connection:
        file_id = connection.execute(
            schema.audio_files.insert().values(sha256="a" * 64, path="x.wav", stored=False)
        ).inserted_primary_key[0]
        row = {"file_id": file_id, "name": "integrated_lufs", "value": -14.0}
        store.upsert(connection, table, [row], key=["file_id", "name"], update=["value"])
        store.upsert(
            connection, table, [{**row, "value": -9.5}], key=["file_id", "name"], update=["value"]
        )
        store.upsert(connection, table, [{**row, "value": 0.0}], key=["file_id", "name"])
        values = connection.execute(sa.select(table.c.value)).scalars().all()
    assert values == [-9.5]


def test_participants_and_coders_are_created_once(any_study: Study) -> None:
    with any_study.open_store() as store, store.transaction() as connection:
        assert ensure_participant(connection, "p_1") == ensure_participant(connection, "p_1")
        assert ensure_coder(connection, "ana") == ensure_coder(connection, "ana")
        assert ensure_coder(connection, "ana") != ensure_coder(connection, "ben")


@pytest.mark.parametrize("kind", list(EXPORT_KINDS))
def test_every_export_kind_has_columns_when_empty(store: Store, kind: str) -> None:
    with store.connect() as connection:
        frame = export_table(connection, kind, service_of=lambda label: None)
    assert len(frame) == 0
    assert len(frame.columns) >= 5


@pytest.mark.parametrize("kind", ["metrics", "ratings"])
def test_exports_with_services_need_the_studys_services(store: Store, kind: str) -> None:
    with store.connect() as connection, pytest.raises(ValueError, match="service_of"):
        export_table(connection, kind)


def test_unknown_export_kind_is_refused(store: Store) -> None:
    with store.connect() as connection, pytest.raises(EarwitnessError, match="unknown export kind"):
        export_table(connection, "everything")


def test_codings_export_is_self_contained(any_study: Study) -> None:
    text = "The AI master was loud but the vocals felt buried."
    with any_study.open_store() as store:
        with store.transaction() as connection:
            author = ensure_participant(connection, "p_abcdef0123")
            doc_id, _ = upsert_document(
                connection,
                DocumentRecord(
                    "reddit", "t1_z", text, participant_id=author, parent_native_id="t3_q"
                ),
            )
            theme = connection.execute(
                schema.codes.insert().values(
                    guid="g-theme", name="Perceived quality", examples=[], extra={}
                )
            ).inserted_primary_key[0]
            code = connection.execute(
                schema.codes.insert().values(
                    guid="g-code", name="Loudness", parent_id=theme, examples=[], extra={}
                )
            ).inserted_primary_key[0]
            coder = ensure_coder(connection, "ana")
            connection.execute(
                schema.codings.insert().values(
                    guid="c1", document_id=doc_id, start=4, end=13, code_id=code, coder_id=coder
                )
            )
        with store.connect() as connection:
            codings = export_table(connection, "codings")
            documents = export_table(connection, "documents")
    row = codings.iloc[0]
    assert row["coded_text"] == "AI master"
    assert row["code_name"] == "Loudness"
    assert row["code_path"] == "Perceived quality/Loudness"
    assert row["coder"] == "ana"
    assert row["author_pseudonym"] == "p_abcdef0123"
    doc = documents.iloc[0]
    assert (doc["platform"], doc["native_id"], doc["parent_native_id"]) == (
        "reddit",
        "t1_z",
        "t3_q",
    )
    assert doc["author_pseudonym"] == "p_abcdef0123"
