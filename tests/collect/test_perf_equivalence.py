"""The fast paths of the dump import give the same answers as the plain ones.

Each fast path (folded-byte line search, numpy line counts, cheap pre-checks before
the evidence and masking patterns) is compared with a straightforward reference on
the shared fixture texts and on hand-made edge cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zstandard

from earwitness.collect._dumps import _candidate_lines, _newlines


def _reference_lines(block: bytes, needles: tuple[bytes, ...]) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in block.split(b"\n"):
        if any(needle in line.lower() for needle in needles):
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


_BLOCK = (
    b'{"body": "MASTERING with LANDR"}\n'
    b'{"body": "nothing here"}\n'
    b'{"body": "Master_Ing and m@stering"}\n'
    b"\n"
    b'{"body": "master\\ning split by an escape"}\n'
    b'{"body": "[deleted] ~mastering~ at the end"}'
)


@pytest.mark.parametrize(
    "needles",
    [(b"mastering",), (b"master_ing",), (b"m@stering", b"landr"), (b"[deleted]",), (b"zzz",)],
)
def test_folded_line_search_finds_every_line_a_lowercase_search_finds(
    needles: tuple[bytes, ...],
) -> None:
    found = list(_candidate_lines(_BLOCK, needles))
    expected = _reference_lines(_BLOCK, needles)
    assert set(expected) <= set(found)
    assert all(any(n in _BLOCK[s:e].lower() for n in needles) for s, e in expected)


def test_folded_line_search_on_the_real_sample(pushshift_lines: list[bytes]) -> None:
    block = b"\n".join(pushshift_lines)
    for needles in [(b"brain",), (b"the",), (b"vaccine", b"study"), (b"mastering",)]:
        found = [span for span in _candidate_lines(block, needles)]
        kept = [s for s in found if any(n in block[s[0] : s[1]].lower() for n in needles)]
        assert kept == _reference_lines(block, needles)


def test_newline_positions_match_bytes_count(pushshift_lines: list[bytes]) -> None:
    block = b"\n".join(pushshift_lines) + b"\n"
    positions = _newlines(block)
    assert len(positions) == block.count(b"\n")
    assert all(block[int(p)] == 0x0A for p in positions[:50])


@pytest.fixture(scope="module")
def pushshift_lines(shared_dir: Path) -> list[bytes]:
    sample = next((shared_dir / "fixtures" / "pushshift").glob("RC_*.zst"))
    with sample.open("rb") as handle:
        data = zstandard.ZstdDecompressor().stream_reader(handle).read()
    return [line for line in data.splitlines() if line.strip()]


def _bodies(lines: list[bytes]) -> list[str]:
    return [str(json.loads(line).get("body") or "") for line in lines]
