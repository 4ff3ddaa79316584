"""Reddit history from Pushshift and Arctic Shift dump files.

The dumps are zstd-compressed NDJSON, one submission (``RS_…``) or comment (``RC_…``)
per line. They are streamed in constant memory: a zstd reader with a 2 GiB window
(``max_window_size=2**31``, which the monthly dumps need) feeds a buffered line reader,
and matched items are written in pages through an :class:`ItemWriter`.

Keyword and subreddit filters first test the raw line bytes (cheap, case-insensitive),
and only lines that can match are parsed, so a selective import runs close to the
speed of ``zstd -dc | grep``.

Resumability: the cursor of each (file, filters) is the position in the decompressed
stream (line number and byte offset) after the last written page, committed in the same
transaction as that page's items. A resumed import skips exactly those bytes.

Pushshift quirks normalised here (Baumgartner et al. 2020, "The Pushshift Reddit
Dataset", ICWSM): in the 2021 API era ``parent_id`` of a comment could be a decimal
integer (the base-10 value of the parent comment's base-36 id) or null for a top-level
comment; the retrieval time is ``retrieved_on`` in older files and ``retrieved_utc``
in newer ones; ``edited`` is ``false``, a timestamp, or ``true`` with ``edited_on``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import zstandard

from earwitness.collect._items import CollectedItem, ItemWriter, RunSummary
from earwitness.errors import BadInputError, EarwitnessError

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "DumpFilter",
    "import_dump",
    "normalise_parent_id",
    "parse_dump_record",
    "to_base36",
]

DUMP_SOURCE = "reddit-dump"
ZSTD_MAX_WINDOW = 2**31
PAGE_ITEMS = 1000
PAGE_LINES = 200_000
_READ_SIZE = 1 << 17
_CHUNK_SIZE = 1 << 20
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_JSON_UNSAFE = set('"\\/')
_CASE_BIT = 0x20
_NEWLINE = 0x0A


def to_base36(number: int) -> str:
    """Reddit's base-36 id for a decimal integer id."""
    if number < 0:
        raise ValueError(f"a Reddit id cannot be negative: {number}")
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
        if number == 0:
            return digits


def normalise_parent_id(parent_id: Any, link_id: str) -> str:
    """The prefixed base-36 parent (``t1_…`` or ``t3_…``) of a comment.

    ``link_id`` is the comment's submission fullname (``t3_…``). A null parent is a
    top-level comment, whose parent is the submission. A decimal integer is the parent
    comment's id in base 10, unless it equals the submission's id.
    """
    if parent_id is None or parent_id == "":
        return link_id
    if isinstance(parent_id, int) and not isinstance(parent_id, bool):
        base36 = to_base36(parent_id)
        return f"t3_{base36}" if f"t3_{base36}" == link_id else f"t1_{base36}"
    text = str(parent_id)
    if text.isdigit():
        return normalise_parent_id(int(text), link_id)
    return text


def _fullname(prefix: str, value: Any) -> str:
    text = str(value)
    if text.isdigit():
        text = to_base36(int(text))
    return text if text.startswith(("t1_", "t3_")) else f"{prefix}{text}"


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _edited_at(record: Mapping[str, Any]) -> datetime | None:
    edited = record.get("edited")
    if edited is True:
        return _timestamp(record.get("edited_on"))
    return _timestamp(edited)


def _retrieved_at(record: Mapping[str, Any]) -> str | None:
    moment = _timestamp(record.get("retrieved_utc", record.get("retrieved_on")))
    return moment.isoformat() if moment else None


def _score(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_dump_record(record: Mapping[str, Any]) -> CollectedItem:
    """One dump object (submission or comment) as a collected item."""
    if "id" not in record:
        raise ValueError("no 'id' field")
    is_comment = "body" in record and "title" not in record
    subreddit = str(record.get("subreddit") or "")
    permalink = record.get("permalink")
    url = f"https://www.reddit.com{permalink}" if permalink else None
    extra: dict[str, Any] = {"subreddit": subreddit, "retrieved_at": _retrieved_at(record)}
    if is_comment:
        native_id = _fullname("t1_", record["id"])
        link_id = _fullname("t3_", record.get("link_id") or "")
        return CollectedItem(
            platform="reddit",
            native_id=native_id,
            kind="comment",
            text=str(record.get("body") or ""),
            author=record.get("author"),
            thread_native_id=link_id,
            parent_native_id=normalise_parent_id(record.get("parent_id"), link_id),
            url=url,
            score=_score(record.get("score")),
            authored_at=_timestamp(record.get("created_utc")),
            edited_at=_edited_at(record),
            flair=record.get("author_flair_text") or None,
            extra=extra,
        )
    native_id = _fullname("t3_", record["id"])
    if not record.get("is_self", True) and record.get("url"):
        extra["link_url"] = record["url"]
    return CollectedItem(
        platform="reddit",
        native_id=native_id,
        kind="submission",
        text=str(record.get("selftext") or ""),
        author=record.get("author"),
        thread_native_id=native_id,
        title=str(record.get("title") or ""),
        url=url,
        score=_score(record.get("score")),
        authored_at=_timestamp(record.get("created_utc")),
        edited_at=_edited_at(record),
        flair=record.get("author_flair_text") or None,
        extra=extra,
    )


@dataclass(frozen=True)
class DumpFilter:
    """Which dump records to keep. Empty means everything."""

    subreddits: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def build(
        cls,
        subreddits: Sequence[str] = (),
        keywords: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DumpFilter:
        return cls(
            subreddits=frozenset(s.removeprefix("r/").casefold() for s in subreddits),
            keywords=tuple(k.casefold() for k in keywords if k.strip()),
            since=_aware(since),
            until=_aware(until),
        )

    def key(self) -> str:
        return json.dumps(
            {
                "subreddits": sorted(self.subreddits),
                "keywords": sorted(self.keywords),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
            },
            sort_keys=True,
        )

    def block_needles(self) -> tuple[bytes, ...] | None:
        """Lowercase byte strings one of which every kept line contains, if known."""
        for group in (self.keywords, self.subreddits):
            if group and all(_byte_safe(text) for text in group):
                return tuple(text.encode("ascii") for text in sorted(group))
        return None

    def line_prefilter(self) -> Callable[[bytes], bool]:
        """A cheap test on the raw line that never rejects a line the full test keeps."""
        needles: list[tuple[bytes, ...]] = []
        if self.keywords and all(_byte_safe(k) for k in self.keywords):
            needles.append(tuple(k.encode("ascii") for k in self.keywords))
        if self.subreddits and all(_byte_safe(s) for s in self.subreddits):
            needles.append(tuple(s.encode("ascii") for s in self.subreddits))
        if not needles:
            return lambda _line: True

        def could_match(line: bytes) -> bool:
            lowered = line.lower()
            return all(any(n in lowered for n in group) for group in needles)

        return could_match

    def keeps(self, item: CollectedItem) -> bool:
        if self.subreddits and str(item.extra.get("subreddit", "")).casefold() not in (
            self.subreddits
        ):
            return False
        if self.since and (item.authored_at is None or item.authored_at < self.since):
            return False
        if self.until and (item.authored_at is None or item.authored_at >= self.until):
            return False
        if self.keywords:
            haystack = f"{item.title or ''}\n{item.text}".casefold()
            return any(keyword in haystack for keyword in self.keywords)
        return True


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _byte_safe(text: str) -> bool:
    return text.isascii() and not (set(text) & _JSON_UNSAFE) and text == text.lower()


@dataclass
class DumpProgress:
    """Where an import of one file stands; saved as the cursor after every page."""

    line: int = 0
    offset: int = 0
    matched: int = 0
    malformed: list[int] = field(default_factory=list)

    def as_state(self, file: Path) -> dict[str, Any]:
        return {
            "file": file.name,
            "size": file.stat().st_size,
            "line": self.line,
            "offset": self.offset,
            "matched": self.matched,
        }


def _zstd_frames_complete(handle: IO[bytes], size: int) -> bool:
    """Whether the file is whole zstd frames, read from block headers only (RFC 8878 3.1)."""
    handle.seek(0)
    while True:
        magic = handle.read(4)
        if not magic:
            return True
        if len(magic) < 4:
            return False
        number = int.from_bytes(magic, "little")
        if 0x184D2A50 <= number <= 0x184D2A5F:  # skippable frame
            length = handle.read(4)
            if len(length) < 4:
                return False
            handle.seek(int.from_bytes(length, "little"), io.SEEK_CUR)
        elif number != 0xFD2FB528 or not _skip_frame(handle):
            return False
        if handle.tell() > size:
            return False


def _skip_frame(handle: IO[bytes]) -> bool:
    descriptor = handle.read(1)
    if not descriptor:
        return False
    flags = descriptor[0]
    single_segment = (flags >> 5) & 1
    content_size_bytes = (single_segment, 2, 4, 8)[flags >> 6]
    header = (1 - single_segment) + (0, 1, 2, 4)[flags & 3] + content_size_bytes
    handle.seek(header, io.SEEK_CUR)
    while True:
        block = handle.read(3)
        if len(block) < 3:
            return False
        value = int.from_bytes(block, "little")
        kind = (value >> 1) & 3
        if kind == 3:
            return False
        handle.seek(1 if kind == 1 else value >> 3, io.SEEK_CUR)
        if value & 1:
            break
    if (flags >> 2) & 1:
        handle.seek(4, io.SEEK_CUR)
    return True


_ZSTD_MAGIC = 0xFD2FB528.to_bytes(4, "little")


def _chunks(handle: IO[bytes], path: Path) -> Iterator[bytes]:
    """Decompressed bytes of a zstd file, in bounded chunks; a cut-off frame is an error."""
    head = handle.read(4)
    skippable = len(head) == 4 and 0x184D2A50 <= int.from_bytes(head, "little") <= 0x184D2A5F
    if head and head != _ZSTD_MAGIC and not skippable:  # RFC 8878 3.1.1: magic number
        what = "gzip data" if head[:2] == b"\x1f\x8b" else "no zstd magic number at its start"
        raise BadInputError(
            f"not a zstd file ({what}), though named .zst: give the dump as downloaded",
            file=path,
        )
    if not _zstd_frames_complete(handle, path.stat().st_size):
        raise BadInputError("corrupt or truncated zstd data: the last frame is cut off", file=path)
    handle.seek(0)
    context = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    reader = context.stream_reader(handle, read_size=_READ_SIZE, read_across_frames=True)
    try:
        while data := reader.read(_CHUNK_SIZE):
            yield data
    except zstandard.ZstdError as exc:
        raise BadInputError(f"corrupt zstd data: {exc}", file=path) from None


def _plain_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while data := handle.read(_CHUNK_SIZE):
        yield data


def _blocks(chunks: Iterator[bytes], skip: int, path: Path) -> Iterator[bytes]:
    """Runs of whole lines (the last may lack its newline), after ``skip`` bytes."""
    rest = b""
    for chunk in chunks:
        if skip:
            taken = min(skip, len(chunk))
            chunk, skip = chunk[taken:], skip - taken
            if not chunk:
                continue
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            rest += chunk
            continue
        yield b"".join((rest, memoryview(chunk)[:cut])) if rest else chunk[:cut]
        rest = chunk[cut:]
    if skip:
        raise BadInputError(
            "the file is shorter than the saved cursor: it changed since the last import",
            file=path,
        )
    if rest:
        yield rest


class _Scratch:
    """Buffers reused from block to block: a new 1 MiB array per block costs page faults."""

    def __init__(self) -> None:
        self._folded = bytearray()
        self._flags: npt.NDArray[np.bool_] = np.empty(0, dtype=bool)

    def folded(self, block: bytes) -> bytearray:
        """``block`` with bit 0x20 set on every byte, in the first ``len(block)`` bytes."""
        if len(self._folded) < len(block):
            self._folded = bytearray(max(len(block), 2 * _CHUNK_SIZE))
        out = np.frombuffer(self._folded, np.uint8)[: len(block)]
        np.bitwise_or(np.frombuffer(block, np.uint8), _CASE_BIT, out=out)
        return self._folded

    def newlines(self, block: bytes) -> npt.NDArray[np.intp]:
        """Positions of the newlines in ``block`` (numpy: about 20 times bytes.count)."""
        if len(self._flags) < len(block):
            self._flags = np.empty(max(len(block), 2 * _CHUNK_SIZE), dtype=bool)
        flags = self._flags[: len(block)]
        np.equal(np.frombuffer(block, np.uint8), _NEWLINE, out=flags)
        return np.flatnonzero(flags)


def _candidate_lines(
    block: bytes, needles: tuple[bytes, ...] | None, scratch: _Scratch | None = None
) -> Iterator[tuple[int, int]]:
    """(start, end) of every line of ``block`` that may contain one of ``needles``.

    Needles are searched in the block with bit 0x20 set on every byte (numpy, one pass):
    that folds ASCII upper case onto lower case, so every line that contains a needle
    in any case is found (a few others may be too; the caller tests each line exactly).
    """
    if needles is None:
        start = 0
        while start < len(block):
            end = block.find(b"\n", start)
            end = len(block) if end < 0 else end
            yield start, end
            start = end + 1
        return
    folded = (scratch or _Scratch()).folded(block)
    size = len(block)
    spans: set[tuple[int, int]] = set()
    for needle in needles:
        folded_needle = bytes(byte | _CASE_BIT for byte in needle)
        position = folded.find(folded_needle, 0, size)
        while position >= 0:
            start = block.rfind(b"\n", 0, position) + 1
            end = block.find(b"\n", position)
            end = size if end < 0 else end
            spans.add((start, end))
            position = folded.find(folded_needle, end, size)
    yield from sorted(spans)


def import_dump(
    study: Study,
    store: Store,
    path: Path,
    *,
    dump_filter: DumpFilter,
    summary: RunSummary | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    page_items: int = PAGE_ITEMS,
    page_lines: int = PAGE_LINES,
) -> RunSummary:
    """Import the records of one dump file that pass ``dump_filter``; resume if started.

    ``on_progress(compressed_bytes_read, items_written)`` is called after every page.
    """
    if not path.is_file():
        raise BadInputError("no such dump file", file=path)
    query = dump_filter.key()
    writer = ItemWriter(
        study,
        store,
        source=DUMP_SOURCE,
        query_key=f"{path.name}|{path.stat().st_size}|{query}",
        query=query,
        summary=summary,
        track_seen=False,
    )
    if writer.is_done():
        return writer.summary
    state = writer.resume_state()
    progress = DumpProgress(
        line=int(state.get("line", 0)),
        offset=int(state.get("offset", 0)),
        matched=int(state.get("matched", 0)),
    )
    needles = dump_filter.block_needles()
    could_match = dump_filter.line_prefilter()
    page: list[CollectedItem] = []
    digest = hashlib.sha256()
    page_first_line = progress.line + 1
    lines_in_page = 0

    stored = 0

    def flush(done: bool) -> None:
        nonlocal page, digest, page_first_line, lines_in_page, stored
        try:
            write(done)
        except EarwitnessError as exc:
            if stored == 0:
                raise
            raise EarwitnessError(
                f"{exc} [{stored} items of {path.name} were stored before this, in whole "
                "pages: run the same command again to resume after them]"
            ) from None
        stored += len(page)
        if on_progress is not None:
            on_progress(handle.tell(), len(page))
        page, digest, page_first_line, lines_in_page = [], hashlib.sha256(), progress.line + 1, 0

    def write(done: bool) -> None:
        writer.write_page(
            page,
            state=progress.as_state(path),
            done=done,
            provenance={
                "url": f"file:{path.name}",
                "native_id": path.name,
                "content_sha256": digest.hexdigest(),
                "extra": {"lines": [page_first_line, progress.line], "items": len(page)},
            }
            if page
            else None,
        )

    scratch = _Scratch()
    with path.open("rb") as handle:
        chunks = _chunks(handle, path) if path.suffix == ".zst" else _plain_chunks(handle)
        for block in _blocks(chunks, progress.offset, path):
            block_line, block_offset = progress.line, progress.offset
            newlines = scratch.newlines(block)
            for start, end in _candidate_lines(block, needles, scratch):
                line = block[start:end]
                if not line.strip() or not could_match(line):
                    continue
                number = block_line + int(np.searchsorted(newlines, start)) + 1
                item = _parse_line(line, path, number)
                if not dump_filter.keeps(item):
                    continue
                page.append(item)
                digest.update(line)
                progress.matched += 1
                if len(page) >= page_items:
                    lines_in_page += number - progress.line
                    progress.line = number
                    progress.offset = block_offset + min(end + 1, len(block))
                    flush(done=False)
            block_end_line = block_line + len(newlines) + int(not block.endswith(b"\n"))
            lines_in_page += block_end_line - progress.line
            progress.line, progress.offset = block_end_line, block_offset + len(block)
            if lines_in_page >= page_lines:
                flush(done=False)
        flush(done=True)
    return writer.summary


def _parse_line(line: bytes, path: Path, number: int) -> CollectedItem:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise BadInputError(f"malformed JSON: {exc}", file=path, row=number) from None
    if not isinstance(record, dict):
        raise BadInputError("expected a JSON object per line", file=path, row=number)
    try:
        return parse_dump_record(record)
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"not a Reddit record: {exc}", file=path, row=number) from None
