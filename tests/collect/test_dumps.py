"""Dump import on the real Pushshift samples: quirks, filters, resumption, bad input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import zstandard
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect._dumps import (
    DumpFilter,
    import_dump,
    normalise_parent_id,
    to_base36,
)
from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store.schema import collection_cursors, documents
from earwitness.study import Study


def _records(path: Path) -> list[dict]:
    with path.open("rb") as handle:
        text = zstandard.ZstdDecompressor().stream_reader(handle).read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def rc(shared_dir: Path) -> Path:
    return next((shared_dir / "fixtures" / "pushshift").glob("RC_*.zst"))


@pytest.fixture
def rs(shared_dir: Path) -> Path:
    return next((shared_dir / "fixtures" / "pushshift").glob("RS_*.zst"))


def _docs(store: Store) -> dict[str, sa.Row]:
    with store.connect() as connection:
        return {r.native_id: r for r in connection.execute(sa.select(documents))}


def test_base36_matches_reddit_ids() -> None:
    assert to_base36(0) == "0"
    assert to_base36(int("ha12j2a", 36)) == "ha12j2a"
    assert to_base36(35) == "z" and to_base36(36) == "10"


def test_parent_id_quirks() -> None:
    link = "t3_p9iqk3"
    assert normalise_parent_id(None, link) == link
    assert normalise_parent_id(int("p9iqk3", 36), link) == link
    assert normalise_parent_id(int("ha10szg", 36), link) == "t1_ha10szg"
    assert normalise_parent_id(str(int("ha10szg", 36)), link) == "t1_ha10szg"
    assert normalise_parent_id("t1_abc", link) == "t1_abc"


def test_imports_every_comment_and_submission(study: Study, store: Store, rc: Path, rs: Path):
    summary = import_dump(study, store, rc, dump_filter=DumpFilter.build())
    import_dump(study, store, rs, dump_filter=DumpFilter.build(), summary=summary)
    comments, submissions = _records(rc), _records(rs)
    docs = _docs(store)
    assert len(docs) == len({c["id"] for c in comments}) + len({s["id"] for s in submissions})
    assert summary.new + summary.deleted == len(docs)
    first = comments[0]
    doc = docs[f"t1_{first['id']}"]
    assert doc.parent_native_id == "t1_" + to_base36(first["parent_id"])
    assert doc.thread_native_id == first["link_id"]
    assert doc.authored_at == datetime.fromtimestamp(first["created_utc"], UTC)
    assert (
        doc.extra["retrieved_at"] == datetime.fromtimestamp(first["retrieved_utc"], UTC).isoformat()
    )
    top_level = next(c for c in comments if c["parent_id"] is None)
    assert docs[f"t1_{top_level['id']}"].parent_native_id == top_level["link_id"]
    old_style = next(s for s in submissions if "retrieved_on" in s)
    sub = docs[f"t3_{old_style['id']}"]
    assert sub.title == old_style["title"] and sub.kind == "submission"
    assert (
        sub.extra["retrieved_at"]
        == datetime.fromtimestamp(old_style["retrieved_on"], UTC).isoformat()
    )
    removed = [s for s in submissions if s["selftext"] in ("[removed]", "[deleted]")]
    assert all(docs[f"t3_{s['id']}"].status != "active" for s in removed)


def test_second_import_of_a_finished_file_is_a_no_op(study: Study, store: Store, rc: Path):
    import_dump(study, store, rc, dump_filter=DumpFilter.build())
    again = import_dump(study, store, rc, dump_filter=DumpFilter.build())
    assert again.items == 0


def test_filters_match_a_plain_scan(study: Study, store: Store, rc: Path) -> None:
    since, until = datetime(2021, 8, 23, tzinfo=UTC), datetime(2021, 8, 25, tzinfo=UTC)
    expected = {
        f"t1_{c['id']}"
        for c in _records(rc)
        if "evolution" in c["body"].casefold()
        and since.timestamp() <= c["created_utc"] < until.timestamp()
    }
    assert expected, "the filter should keep some of the sample"
    dump_filter = DumpFilter.build(["r/Science"], ["Evolution"], since, until)
    import_dump(study, store, rc, dump_filter=dump_filter)
    assert set(_docs(store)) == expected


def test_other_subreddit_keeps_nothing(study: Study, store: Store, rc: Path) -> None:
    import_dump(study, store, rc, dump_filter=DumpFilter.build(["audioengineering"]))
    assert _docs(store) == {}


def test_interrupted_import_resumes_without_gaps_or_duplicates(
    study: Study, store: Store, rc: Path, tmp_path: Path
) -> None:
    class Stop(Exception):
        pass

    pages = 0

    def stop_after_three(_read: int, _items: int) -> None:
        nonlocal pages
        pages += 1
        if pages == 3:
            raise Stop

    with pytest.raises(Stop):
        import_dump(
            study,
            store,
            rc,
            dump_filter=DumpFilter.build(),
            page_items=100,
            on_progress=stop_after_three,
        )
    assert len(_docs(store)) == 300
    with store.connect() as connection:
        state = connection.execute(sa.select(collection_cursors.c.state)).scalar_one()
    assert state["line"] == 300
    resumed = import_dump(study, store, rc, dump_filter=DumpFilter.build(), page_items=100)
    assert resumed.new + resumed.deleted == len(_records(rc)) - 300
    assert resumed.unchanged == 0  # nothing read twice
    assert set(_docs(store)) == {f"t1_{c['id']}" for c in _records(rc)}


def _write_zst(path: Path, data: bytes, **params: int) -> Path:
    compression = zstandard.ZstdCompressionParameters(write_content_size=False, **params)
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=compression).stream_writer(
        buffer, closefd=False
    ) as writer:
        writer.write(data)
    path.write_bytes(buffer.getvalue())
    return path


def test_large_zstd_window_is_accepted(study: Study, store: Store, tmp_path: Path) -> None:
    line = json.dumps(
        {
            "id": "abc",
            "title": "t",
            "selftext": "LANDR",
            "author": "x",
            "subreddit": "s",
            "created_utc": 1600000000,
        }
    ).encode()
    path = _write_zst(tmp_path / "RS_big_window.zst", line + b"\n", window_log=28)
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(path.read_bytes())).read()
    import_dump(study, store, path, dump_filter=DumpFilter.build())
    assert set(_docs(store)) == {"t3_abc"}


def test_malformed_line_names_file_and_line(study: Study, store: Store, tmp_path: Path) -> None:
    good = json.dumps({"id": "a1", "body": "fine", "link_id": "t3_x", "parent_id": None})
    path = _write_zst(tmp_path / "RC_bad.zst", f"{good}\n{{not json\n".encode())
    with pytest.raises(BadInputError, match=r"RC_bad.zst, row 2: malformed JSON"):
        import_dump(study, store, path, dump_filter=DumpFilter.build())


def test_truncated_zstd_is_reported(study: Study, store: Store, rc: Path, tmp_path: Path) -> None:
    cut = tmp_path / "RC_cut.zst"
    cut.write_bytes(rc.read_bytes()[: rc.stat().st_size // 2])
    with pytest.raises(BadInputError, match="corrupt or truncated zstd"):
        import_dump(study, store, cut, dump_filter=DumpFilter.build())


def test_cli_dump_reports_a_summary(study: Study, rs: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--study", str(study.root), "collect", "dump", str(rs), "--keyword", "brain", "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = {r["measure"]: r["value"] for r in json.loads(result.stdout)}
    expected = sum("brain" in f"{s['title']}\n{s['selftext']}".casefold() for s in _records(rs))
    assert rows["new"] + rows["deleted"] == expected > 0
