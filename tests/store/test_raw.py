from __future__ import annotations

from pathlib import Path

from earwitness.store import RawArchive, read_raw_record


def test_records_round_trip_by_pointer_without_secrets(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    first = archive.append(
        "reddit",
        url="https://oauth.reddit.com/r/x/new?limit=100&access_token=SECRET1",
        status=200,
        headers={"Authorization": "bearer SECRET2", "x-ratelimit-used": "3"},
        body='{"kind": "Listing"}',
    )
    second = archive.append(
        "reddit", url="https://oauth.reddit.com/r/y", status=429, headers={}, body=b"slow down"
    )
    assert first is not None and second is not None
    record = read_raw_record(tmp_path, second)
    assert (record["status"], record["body"]) == (429, "slow down")
    assert read_raw_record(tmp_path, first)["headers"] == {"x-ratelimit-used": "3"}
    everything = b"".join(p.read_bytes() for p in (tmp_path / "raw").rglob("*.gz"))
    import gzip

    assert b"SECRET" not in gzip.decompress(everything)
    assert [r["status"] for r in archive.records()] == [200, 429]


def test_a_torn_last_record_does_not_hide_the_others(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    archive.append("discourse", url="https://f.example/t/1.json", status=200, headers={}, body="{}")
    path = next((tmp_path / "raw").rglob("*.gz"))
    with path.open("ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00partial")
    assert len(list(archive.records())) == 1


def test_nothing_is_written_when_raw_is_not_kept(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw", enabled=False)
    assert archive.append("reddit", url="u", status=200, headers={}, body="b") is None
    assert not (tmp_path / "raw").exists()


def test_purge_deletes_every_file(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    archive.append("a", url="u", status=200, headers={}, body="1")
    archive.append("b", url="u", status=200, headers={}, body="2")
    assert archive.purge() == 2
    assert list(archive.records()) == []
