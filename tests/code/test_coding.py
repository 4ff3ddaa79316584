"""Human coding: apply, remove, CSV import with row/column errors, retrieval."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._coding import (
    apply_code,
    import_codings_csv,
    remove_code,
    retrieve_segments,
)
from earwitness.code._segment import segment_documents
from earwitness.errors import BadInputError
from earwitness.privacy import sha256_text
from earwitness.store import Store
from earwitness.store.schema import coders, codings, documents, segments
from earwitness.study import Study

from .conftest import POSTS, SMALL_CODEBOOK, add_documents


@pytest.fixture
def coded_store(store: Store) -> tuple[Store, dict[str, int]]:
    ids = add_documents(store)
    write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
    return store, ids


def _span(native_id: str, phrase: str) -> tuple[int, int]:
    text = POSTS[native_id][1]
    start = text.index(phrase)
    return start, start + len(phrase)


def test_apply_on_a_span_then_remove(coded_store: tuple[Store, dict[str, int]]) -> None:
    store, ids = coded_store
    start, end = _span("t1", "harsh on the hats")
    coding_id, new = apply_code(
        store, "Quality/Harsh", coder="ana", document="forum:t1", start=start, end=end, memo="hm"
    )
    assert new
    again, new_again = apply_code(
        store, "Harsh", coder="ana", document=str(ids["t1"]), start=start, end=end
    )
    assert (again, new_again) == (coding_id, False)
    rows = retrieve_segments(store.engine.connect(), "Quality/Harsh")
    assert [(r["text"], r["coder"], r["memo"], r["user_group"]) for r in rows] == [
        ("harsh on the hats", "ana", "hm", "amateur")
    ]
    assert remove_code(store, "Harsh", coder="ana", document="forum:t1", start=start, end=end) == 1
    with pytest.raises(BadInputError, match="has no coding of 'Harsh'"):
        remove_code(store, "Harsh", coder="ana", document="forum:t1", start=start, end=end)


def test_coding_never_edits_the_text(coded_store: tuple[Store, dict[str, int]]) -> None:
    store, _ = coded_store
    with store.connect() as connection:
        before = connection.execute(sa.select(documents.c.text, documents.c.text_sha256)).all()
    apply_code(store, "Cost", coder="ana", document="forum:t3", start=0, end=3)
    with store.connect() as connection:
        after = connection.execute(sa.select(documents.c.text, documents.c.text_sha256)).all()
    assert before == after
    assert all(sha256_text(text) == digest for text, digest in after)


def test_a_coding_on_a_segment_is_linked_to_it(coded_store: tuple[Store, dict[str, int]]) -> None:
    store, ids = coded_store
    segment_documents(store, short_post_chars=60)
    with store.connect() as connection:
        segment = connection.execute(
            sa.select(segments.c.id, segments.c.start, segments.c.end).where(
                segments.c.document_id == ids["t1"], segments.c.kind == "sentence"
            )
        ).first()
    assert segment is not None
    apply_code(store, "Sounds finished", coder="ana", segment=int(segment.id))
    apply_code(
        store, "Harsh", coder="ana", document="forum:t1", start=segment.start, end=segment.end
    )
    with store.connect() as connection:
        linked = connection.execute(sa.select(codings.c.segment_id)).scalars().all()
    assert linked == [segment.id, segment.id]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"document": "forum:t3", "start": 5, "end": 500}, "is not inside the document's 21"),
        ({"document": "forum:t3", "start": 5, "end": 5}, "is not inside"),
        ({"document": "forum:nope", "start": 0, "end": 1}, "no document 'forum:nope'"),
        ({"document": "t3", "start": 0, "end": 1}, "give its id, its guid or platform:native_id"),
        ({"segment": 999}, "no segment 999"),
        ({"document": "forum:t3"}, "give a segment, or a document with start and end"),
    ],
)
def test_bad_spans_are_refused(
    coded_store: tuple[Store, dict[str, int]], kwargs: dict[str, Any], message: str
) -> None:
    store, _ = coded_store
    with pytest.raises(BadInputError, match=message):
        apply_code(store, "Cost", coder="ana", **kwargs)


def test_themes_that_are_not_codable_are_refused(coded_store: tuple[Store, dict[str, int]]) -> None:
    store, _ = coded_store
    with pytest.raises(BadInputError, match="'Quality' is not codable"):
        apply_code(store, "Quality", coder="ana", document="forum:t3", start=0, end=3)


def _write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codings.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_all_rows(coded_store: tuple[Store, dict[str, int]], tmp_path: Path) -> None:
    store, _ = coded_store
    s, e = _span("t2", "harsh")
    path = _write_csv(
        tmp_path,
        "document,code,coder,start,end,memo,text\n"
        f"forum:t2,Quality/Harsh,ana,{s},{e},first pass,harsh\n"
        f"forum:t2,Quality/Harsh,ben,{s},{e},,\n"
        "forum:t3,Cost,ben,0,21,,Too expensive for me.\n"
        "\n",
    )
    result = import_codings_csv(store, path)
    assert (result.rows, result.new, result.existing) == (3, 3, 0)
    again = import_codings_csv(store, path)
    assert (again.new, again.existing) == (0, 3)
    with store.connect() as connection:
        names = connection.execute(sa.select(coders.c.name).order_by(coders.c.name)).scalars()
        assert list(names) == ["ana", "ben"]
        memos = connection.execute(sa.select(codings.c.memo).order_by(codings.c.id)).scalars()
        assert list(memos) == ["first pass", None, None]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("forum:t3,Cost,ana,0,3,\nforum:t3,Nope,ana,0,3,\n", "row 3, field 'code': no code 'Nope'"),
        ("forum:t3,Cost,ana,0,x,\n", "row 2, field 'end': 'x' is not a whole number"),
        ("forum:t3,Cost,,0,3,\n", "row 2, field 'coder': a coding needs a named coder"),
        ("forum:t3,Cost,ana,0,3,Too\nforum:t3,Cost,ana,0,3,Tao\n", "row 3, field 'text'"),
        ("forum:zz,Cost,ana,0,3,\n", "row 2, field 'document': no document 'forum:zz'"),
        ("forum:t3,Cost,ana,0,99,\n", "row 2, field 'start'"),
        ("forum:t3,Quality,ana,0,3,\n", "row 2, field 'code': code 'Quality' is not codable"),
    ],
)
def test_csv_errors_name_row_and_column_and_write_nothing(
    coded_store: tuple[Store, dict[str, int]], tmp_path: Path, rows: str, message: str
) -> None:
    store, _ = coded_store
    path = _write_csv(tmp_path, "document,code,coder,start,end,text\n" + rows)
    with pytest.raises(BadInputError) as error:
        import_codings_csv(store, path)
    assert str(error.value).startswith(f"{path}, row ")
    assert message in str(error.value)
    with store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(codings)).scalar() == 0
        assert connection.execute(sa.select(sa.func.count()).select_from(coders)).scalar() == 0


def test_csv_header_problems(coded_store: tuple[Store, dict[str, int]], tmp_path: Path) -> None:
    store, _ = coded_store
    with pytest.raises(BadInputError, match=r"row 1: missing column\(s\): coder"):
        import_codings_csv(store, _write_csv(tmp_path, "document,code,start,end\n"))
    with pytest.raises(BadInputError, match="row 1: give a 'segment' column"):
        import_codings_csv(store, _write_csv(tmp_path, "document,code,coder,start\n"))
    path = _write_csv(tmp_path, "document,code,start,end\nforum:t3,Cost,0,3\n")
    assert import_codings_csv(store, path, coder="cleo").new == 1


def test_retrieve_with_children_and_user_groups(coded_store: tuple[Store, dict[str, int]]) -> None:
    store, _ = coded_store
    apply_code(store, "Harsh", coder="ana", document="forum:t2", start=0, end=8)
    apply_code(store, "Sounds finished", coder="ana", document="forum:t1", start=0, end=5)
    with store.connect() as connection:
        assert retrieve_segments(connection, "Quality/Harsh")[0]["user_group"] == "professional"
        rows = retrieve_segments(connection, "Quality", include_children=True)
    assert [(r["code"], r["text"], r["pseudonym"]) for r in rows] == [
        ("Quality/Sounds finished", "LANDR", "p_t1k"),
        ("Quality/Harsh", "Honestly", "p_t2k"),
    ]


def test_coding_on_both_backends(any_study: Study) -> None:
    with any_study.open_store() as store:
        add_documents(store)
        write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
        start, end = _span("t1", "LANDR")
        apply_code(store, "Sounds finished", coder="ana", document="forum:t1", start=start, end=end)
        apply_code(store, "Harsh", coder="ben", document="forum:t2", start=0, end=8)
        with pytest.raises(BadInputError):
            apply_code(store, "Harsh", coder="ben", document="forum:t2", start=0, end=800)
        with store.connect() as connection:
            rows = retrieve_segments(connection, "Quality", include_children=True)
        assert [(r["text"], r["coder"], r["user_group"]) for r in rows] == [
            ("LANDR", "ana", "amateur"),
            ("Honestly", "ben", "professional"),
        ]
        assert remove_code(store, "Harsh", coder="ben", document="forum:t2", start=0, end=8) == 1


def test_coding_commands(invoke: Callable[..., Any], store: Store, tmp_path: Path) -> None:
    add_documents(store)
    write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
    result = invoke("code", "apply", "Cost", "--coder", "ana", "--document", "forum:t3",
                    "--start", "0", "--end", "21", "--memo", "price")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Applied: coding" in result.output
    result = invoke("code", "retrieve", "Cost", "--json")
    rows = json.loads(result.output)
    assert [(r["text"], r["memo"]) for r in rows] == [("Too expensive for me.", "price")]
    csv_path = _write_csv(tmp_path, "document,code,coder,start,end\nforum:t2,Harsh,ben,0,8\n")
    result = invoke("code", "import-codings", str(csv_path))
    assert "Imported 1 codings" in result.output, result.output
    result = invoke("code", "retrieve", "Harsh", "--csv")
    assert result.output.splitlines()[0].startswith("code,document_id,platform")
    result = invoke("code", "remove", "Cost", "--coder", "ana", "--document", "forum:t3",
                    "--start", "0", "--end", "21")  # fmt: skip
    assert "Removed 1 coding by ana" in result.output
    result = invoke("code", "apply", "Cost", "--document", "forum:t3", "--start", "0", "--end", "1")
    assert result.exit_code == 2 and "--coder" in result.output
