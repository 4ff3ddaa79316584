"""The raw archive: every collected response, as received, in ``raw/``.

Records are NDJSON objects, each written as its own gzip member (RFC 1952 allows
concatenated members), appended to ``raw/<platform>/<date>.ndjson.gz``. A record's
pointer is ``<relative path>@<byte offset>``, so one record can be read back without
decompressing the file, and a crash mid-write damages at most the record being written.
Headers and URLs are stripped of credentials before they are written. A body that is not
UTF-8 (a windows-1252 or Shift_JIS page) is kept as base64 (``"body_encoding": "base64"``),
so the archive holds the bytes as received; :func:`raw_body` gives them back.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from earwitness.files import make_private_dir
from earwitness.privacy import redact_headers, redact_url

__all__ = ["RawArchive", "raw_body", "read_raw_record"]


class RawArchive:
    """Appends raw responses to a study's ``raw/`` folder, unless ``keep_raw`` is off."""

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled

    def append(
        self,
        platform: str,
        *,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: str | bytes,
        extra: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Archive one response; return its pointer, or None when raw data is not kept."""
        if not self.enabled:
            return None
        record = {
            "url": redact_url(url),
            "status": status,
            "headers": redact_headers(dict(headers)),
            **_body_fields(body),
            "archived_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **(extra or {}),
        }
        return self._write(platform, json.dumps(record, ensure_ascii=False) + "\n")

    def _write(self, platform: str, line: str) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in platform) or "misc"
        make_private_dir(self.root)  # the unmasked archive: owner only (0700/0600)
        folder = self.root / safe
        make_private_dir(folder)
        path = folder / f"{datetime.now(UTC):%Y-%m-%d}.ndjson.gz"
        member = gzip.compress(line.encode("utf-8"), mtime=0)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "ab") as handle:
            offset = handle.seek(0, os.SEEK_END)
            handle.write(member)
            handle.flush()
            os.fsync(handle.fileno())
        return f"{path.relative_to(self.root.parent).as_posix()}@{offset}"

    def records(self) -> Iterator[dict[str, Any]]:
        """Every intact record in the archive, oldest file first."""
        for path in sorted(self.root.rglob("*.ndjson.gz")):
            yield from _read_members(path.read_bytes())

    def purge(self) -> int:
        """Delete every archived file; return how many were deleted."""
        count = 0
        for path in sorted(self.root.rglob("*.ndjson.gz")):
            path.unlink()
            count += 1
        return count


def _body_fields(body: str | bytes) -> dict[str, str]:
    """UTF-8 bodies as text; any other bytes as base64, so the original bytes survive."""
    if isinstance(body, str):
        return {"body": body}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_encoding": "base64"}


def raw_body(record: Mapping[str, Any]) -> bytes:
    """The body of an archived record as the bytes that were received."""
    body = str(record.get("body") or "")
    if record.get("body_encoding") == "base64":
        return base64.b64decode(body)
    return body.encode("utf-8")


def _read_members(data: bytes) -> Iterator[dict[str, Any]]:
    position = 0
    while position < len(data):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text = decompressor.decompress(data[position:])
        except zlib.error:
            return  # a torn final record from a crash
        if not decompressor.eof:
            return
        for line in text.decode("utf-8").splitlines():
            if line.strip():
                yield json.loads(line)
        position = len(data) - len(decompressor.unused_data)


def read_raw_record(study_root: Path, pointer: str) -> dict[str, Any]:
    """Read the one record a pointer names."""
    relative, _, offset = pointer.rpartition("@")
    with (study_root / relative).open("rb") as handle:
        handle.seek(int(offset))
        with gzip.GzipFile(fileobj=io.BytesIO(handle.read())) as member:
            line = member.readline()
    return dict(json.loads(line))
