"""Reddit history from Pushshift and Arctic Shift dump files.

The dumps are zstd-compressed NDJSON, one submission (``RS_…``) or comment (``RC_…``)
per line. They are streamed in constant memory: a zstd reader with a 2 GiB window
(``max_window_size=2**31``, which the monthly dumps need) feeds a buffered line reader.

Keyword and subreddit filters first test the raw line bytes (cheap, case-insensitive),
in the one process that reads the file (decompression is sequential). The lines that
can match are cut into partitions (:func:`_partitions`) that a worker parses, filters
and masks (:func:`scan_partition`, through :func:`earwitness.partitions.map_partitions`:
in this process by default, or on Dask workers); this process writes each partition's
items as one page through an :class:`ItemWriter`.

Resumability: the cursor of each (file, filters) is the position in the decompressed
stream (line number and byte offset) after the last written page, committed in the same
transaction as that page's items. A resumed import skips exactly those bytes, and cuts
the rest where an uninterrupted import cuts it.

Pushshift quirks normalised here (Baumgartner et al. 2020, "The Pushshift Reddit
Dataset", ICWSM): in the 2021 API era ``parent_id`` of a comment could be a decimal
integer (the base-10 value of the parent comment's base-36 id) or null for a top-level
comment; the retrieval time is ``retrieved_on`` in older files and ``retrieved_utc``
in newer ones; ``edited`` is ``false``, a timestamp, or ``true`` with ``edited_on``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import zstandard

from earwitness.collect._items import (
    CollectedItem,
    ItemWriter,
    RunSummary,
    mask_items,
    present_author,
)
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.groups import Evidence, find_group_evidence
from earwitness.partitions import Scheduler, from_parquet, map_partitions, to_parquet
from earwitness.privacy import (
    KnownHandles,
    Masker,
    NameMask,
    person_name_masker,
    study_kept_words,
)
from earwitness.store.records import DELETED_MARKERS

if TYPE_CHECKING:
    from distributed import Client

    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "DumpFilter",
    "DumpJob",
    "DumpPage",
    "DumpPartition",
    "import_dump",
    "import_dumps",
    "normalise_parent_id",
    "parse_dump_record",
    "scan_partition",
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


@dataclass(frozen=True)
class DumpJob:
    """What every worker of one import needs beside its lines: the filter and how to mask.

    The study key goes to the workers with it (mentions become keyed pseudonyms there):
    on a cluster shared with others, reach the scheduler through ``tls://``."""

    dump_filter: DumpFilter
    key: bytes
    kept_words: tuple[str, ...] | None  # None: the study does not mask person names


@dataclass(frozen=True)
class DumpPartition:
    """Candidate lines of one dump file, from one cursor position to the next.

    ``lines`` are (line number, raw line) pairs that passed the byte pre-filter; the
    partition ends after line ``end_line``, at byte ``end_offset`` of the decompressed
    stream; ``read`` is how far into the compressed file the reader was."""

    file: str
    first_line: int
    end_line: int
    end_offset: int
    read: int
    lines: tuple[tuple[int, bytes], ...]
    done: bool = False


_ITEM_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("platform", pa.string()),
        ("native_id", pa.string()),
        ("kind", pa.string()),
        ("text", pa.string()),
        ("author", pa.string()),
        ("thread_native_id", pa.string()),
        ("parent_native_id", pa.string()),
        ("title", pa.string()),
        ("quoted", pa.string()),
        ("url", pa.string()),
        ("score", pa.int64()),
        ("authored_at", pa.timestamp("us", tz="UTC")),
        ("edited_at", pa.timestamp("us", tz="UTC")),
        ("flair", pa.string()),
        ("extra", pa.string()),
        ("evidence", pa.string()),  # JSON: find_group_evidence on the masked item, or null
    ],
    metadata={"source": DUMP_SOURCE},
)


@dataclass(frozen=True)
class DumpPage:
    """What a worker hands back for a partition: its kept, masked items as Parquet, the
    sha256 of their raw lines, and where the partition ends (the cursor to save)."""

    file: str
    first_line: int
    end_line: int
    end_offset: int
    read: int
    done: bool
    items: bytes
    count: int
    sha256: str


def scan_partition(task: tuple[DumpJob, DumpPartition]) -> DumpPage:
    """A worker's share of an import: parse and filter the candidate lines, mask the kept
    items (the partition's own authors' handles become pseudonyms before the name model
    runs, in one batch)."""
    job, partition = task
    path = Path(partition.file)
    kept: list[tuple[int, CollectedItem]] = []
    digest = hashlib.sha256()
    for number, line in partition.lines:
        item = _parse_line(line, path, number)
        if job.dump_filter.keeps(item):
            kept.append((number, item))
            digest.update(line)
    handles = KnownHandles(job.key)
    for _, item in kept:
        if item.author is not None and present_author(item.author):
            handles.add(item.author)
    masked = mask_items(
        [item for _, item in kept],
        masker=Masker(job.key),
        handles=handles,
        names=_worker_names(job.kept_words),
    )
    rows = [
        {
            **{name: getattr(item, name) for name in _ITEM_SCHEMA.names[1:-2]},
            "line": number,
            "extra": json.dumps(item.extra, sort_keys=True),
            "evidence": _evidence_json(item),
        }
        for (number, _), item in zip(kept, masked, strict=True)
    ]
    p = partition
    return DumpPage(
        p.file,
        p.first_line,
        p.end_line,
        p.end_offset,
        p.read,
        p.done,
        to_parquet(rows, _ITEM_SCHEMA),
        len(rows),
        digest.hexdigest(),
    )


@lru_cache(maxsize=2)
def _worker_names(kept_words: tuple[str, ...] | None) -> NameMask:
    """The study's name masker, built once per worker process (the model loads once)."""
    return person_name_masker(kept_words is not None, kept_words or ())


def _evidence_json(item: CollectedItem) -> str | None:
    """The group evidence the driver would find in this item, searched on the worker."""
    if not present_author(item.author) or item.text.strip() in DELETED_MARKERS:
        return None
    found = find_group_evidence(item.text, flair=item.flair)
    return json.dumps([dataclasses.astuple(evidence)[:5] for evidence in found])


def _items_of(data: bytes) -> tuple[list[CollectedItem], list[list[Evidence] | None]]:
    items, evidence = [], []
    for row in from_parquet(data).to_pylist():
        row.pop("line")
        found = row.pop("evidence")
        row["extra"] = json.loads(row["extra"])
        items.append(CollectedItem(**row))
        evidence.append(None if found is None else [Evidence(*e) for e in json.loads(found)])
    return items, evidence


def _partitions(
    path: Path,
    progress: DumpProgress,
    dump_filter: DumpFilter,
    partition_items: int,
    page_lines: int,
) -> Iterator[DumpPartition]:
    """The file's candidate lines after the cursor, cut where the cut does not depend on
    how the stream was read: after ``partition_items`` candidate lines, and at every
    multiple of ``page_lines`` lines. So a resumed import, which starts at a cut, cuts
    the rest of the file exactly where an uninterrupted one does."""
    needles = dump_filter.block_needles()
    could_match = dump_filter.line_prefilter()
    scratch = _Scratch()
    line, offset = progress.line, progress.offset
    lines: list[tuple[int, bytes]] = []
    first = line + 1
    with path.open("rb") as handle:

        def cut(end_line: int, end_offset: int, done: bool = False) -> DumpPartition:
            nonlocal lines, first
            part = DumpPartition(
                str(path), first, end_line, end_offset, handle.tell(), tuple(lines), done
            )
            lines, first = [], end_line + 1
            return part

        chunks = _chunks(handle, path) if path.suffix == ".zst" else _plain_chunks(handle)
        for block in _blocks(chunks, offset, path):
            newlines = scratch.newlines(block)
            block_end_line = line + len(newlines) + int(not block.endswith(b"\n"))
            marks = range((line // page_lines + 1) * page_lines, block_end_line + 1, page_lines)
            pending = iter(marks)
            mark = next(pending, None)
            for start, end in _candidate_lines(block, needles, scratch):
                number = line + int(np.searchsorted(newlines, start)) + 1
                while mark is not None and mark < number:
                    yield cut(mark, offset + int(newlines[mark - line - 1]) + 1)
                    mark = next(pending, None)
                text = block[start:end]
                if not text.strip() or not could_match(text):
                    continue
                lines.append((number, text))
                if len(lines) >= partition_items:
                    if mark == number:
                        mark = next(pending, None)
                    yield cut(number, offset + min(end + 1, len(block)))
            while mark is not None:
                ends = newlines[mark - line - 1] + 1 if mark - line <= len(newlines) else len(block)
                yield cut(mark, offset + int(ends))
                mark = next(pending, None)
            line, offset = block_end_line, offset + len(block)
        yield cut(line, offset, done=True)


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
    scheduler: Scheduler | None = None,
) -> RunSummary:
    """Import the records of one dump file that pass ``dump_filter``; resume if started.

    ``on_progress(compressed_bytes_read, items_written)`` is called after every page.
    """
    return import_dumps(
        study,
        store,
        [path],
        dump_filter=dump_filter,
        summary=summary,
        on_progress=on_progress,
        page_items=page_items,
        page_lines=page_lines,
        scheduler=scheduler,
    )


def import_dumps(
    study: Study,
    store: Store,
    paths: Sequence[Path],
    *,
    dump_filter: DumpFilter,
    summary: RunSummary | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    page_items: int = PAGE_ITEMS,
    page_lines: int = PAGE_LINES,
    scheduler: Scheduler | None = None,
    client: Client | None = None,
) -> RunSummary:
    """Import several dump files: this process reads each file once, in order, and cuts
    its candidate lines into partitions; ``scheduler``'s workers parse, filter and mask
    them; this process writes each partition as one page, in file order, with the cursor.

    A page is a partition: ``page_items`` candidate lines at most, and a cut at every
    ``page_lines`` lines. Resuming after any interruption gives the rows of an
    uninterrupted import, whatever the scheduler.
    """
    summary = summary if summary is not None else RunSummary()
    paths = list(dict.fromkeys(Path(os.path.abspath(path)) for path in paths))  # named twice: once
    for path in paths:
        if not path.is_file():
            raise BadInputError("no such dump file", file=path)
    query = dump_filter.key()
    handles: KnownHandles | None = None
    writers: dict[str, tuple[ItemWriter, DumpProgress]] = {}
    for path in paths:
        writer = ItemWriter(
            study,
            store,
            source=DUMP_SOURCE,
            query_key=f"{path.name}|{path.stat().st_size}|{query}",
            query=query,
            summary=summary,
            track_seen=False,
            handles=handles,
        )
        handles = writer.handles
        state = writer.resume_state()
        progress = DumpProgress(
            line=int(state.get("line", 0)),
            offset=int(state.get("offset", 0)),
            matched=int(state.get("matched", 0)),
        )
        writers[str(path)] = (writer, progress)
    if all(writer.is_done() for writer, _ in writers.values()):
        return summary  # every file imported with these filters: start no cluster
    kept = study_kept_words(study, store)
    job = DumpJob(dump_filter, study.key(), None if kept is None else tuple(kept))

    def tasks() -> Iterator[tuple[DumpJob, DumpPartition]]:
        for path in paths:
            writer, progress = writers[str(path)]
            if writer.is_done():
                continue
            for partition in _partitions(path, progress, dump_filter, page_items, page_lines):
                yield job, partition

    results = cast(  # a generator: closed at once on an error
        "Generator[DumpPage, None, None]",
        map_partitions(
            scan_partition,
            tasks(),
            scheduler=scheduler or Scheduler(),
            client=client,
            label=f"dump ({len(paths)} file{'s' if len(paths) > 1 else ''})",
        ),
    )
    stored = dict.fromkeys(writers, 0)
    with contextlib.closing(results):  # on an error: cancel the rest, stop the cluster now
        for page in results:
            writer, progress = writers[page.file]
            items, evidence = _items_of(page.items)
            progress.line, progress.offset = page.end_line, page.end_offset
            progress.matched += len(items)
            _write_page(writer, progress, page, items, evidence, stored[page.file])
            stored[page.file] += len(items)
            if on_progress is not None:
                on_progress(page.read, len(items))
    return summary


def _write_page(
    writer: ItemWriter,
    progress: DumpProgress,
    page: DumpPage,
    items: list[CollectedItem],
    evidence: list[list[Evidence] | None],
    stored: int,
) -> None:
    """One partition's items and the cursor after it, in one transaction."""
    path = Path(page.file)
    provenance = {
        "url": f"file:{path.name}",
        "native_id": path.name,
        "content_sha256": page.sha256,
        "extra": {"lines": [page.first_line, page.end_line], "items": len(items)},
    }
    try:
        writer.write_page(
            items,
            state=progress.as_state(path),
            done=page.done,
            provenance=provenance if items else None,
            masked=True,
            evidence=evidence,
        )
    except EarwitnessError as exc:
        if stored == 0:
            raise
        raise EarwitnessError(
            f"{exc} [{stored} items of {path.name} were stored before this, in whole "
            "pages: run the same command again to resume after them]"
        ) from None


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
