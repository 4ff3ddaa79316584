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

from earwitness.collect._dumps import _blocks, _candidate_lines, _Scratch
from earwitness.groups import _evidence as ev
from earwitness.privacy import Masker


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
    scratch = _Scratch()
    longer = scratch.newlines(block + block)
    positions = scratch.newlines(block)  # a reused buffer holds nothing over
    assert len(positions) == block.count(b"\n") == len(longer) // 2
    assert all(block[int(p)] == 0x0A for p in positions)


def test_folded_search_in_a_reused_buffer_stops_at_the_block_end() -> None:
    scratch = _Scratch()
    list(_candidate_lines(b"x" * 100 + b"\nMASTERING\n", (b"mastering",), scratch))
    assert list(_candidate_lines(b"short\n", (b"mastering",), scratch)) == []


def test_blocks_are_whole_lines_whatever_the_chunking() -> None:
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, b"x" * (n % 37)) for n in range(500))
    data += b'{"last": "no newline"}'
    for size in (1, 7, 64, 1000, len(data)):
        chunks = iter([data[i : i + size] for i in range(0, len(data), size)])
        blocks = list(_blocks(chunks, 0, Path("x")))
        assert b"".join(blocks) == data
        assert all(block.endswith(b"\n") for block in blocks[:-1])
    skipped = list(_blocks(iter([data[:100], data[100:]]), 41, Path("x")))
    assert b"".join(skipped) == data[41:]


@pytest.fixture(scope="module")
def pushshift_lines(shared_dir: Path) -> list[bytes]:
    sample = next((shared_dir / "fixtures" / "pushshift").glob("RC_*.zst"))
    with sample.open("rb") as handle:
        data = zstandard.ZstdDecompressor().stream_reader(handle).read()
    return [line for line in data.splitlines() if line.strip()]


def _bodies(lines: list[bytes]) -> list[str]:
    return [str(json.loads(line).get("body") or "") for line in lines]


# --- group evidence: word pre-checks skip only patterns that cannot match -------------------


def _evidence_without_prechecks(text: str) -> list[ev.Evidence]:
    """find_group_evidence as it was before the pre-checks: every pattern on every text."""
    found: list[ev.Evidence] = []
    for anchor in ev._SELF_ANCHOR.finditer(text):
        stop = ev._clause_stop(text, anchor.end())
        found.extend(ev._conjuncts(text, anchor.start(), ev._tokens(text, anchor.end(), stop)))
    for anchor in ev._YEARS_AS.finditer(text):
        sentence = ev._sentence_around(text, anchor.start(), anchor.end())
        if ev._FIRST_PERSON.search(sentence) and not ev._THIRD_PERSON.search(sentence):
            stop = ev._clause_stop(text, anchor.end())
            tokens = ev._tokens(text, anchor.end(), stop)
            found.extend(ev._conjuncts(text, anchor.start(), tokens))
    for anchor in ev._AS_ANCHOR.finditer(text):
        stop = ev._clause_stop(text, anchor.end(), limit=80)
        opens = not text[ev._sentence_start(text, anchor.start()) : anchor.start()].strip()
        tokens = ev._tokens(text, anchor.end(), stop)
        roles = list(ev._conjuncts(text, anchor.start(), tokens, every=True))
        if roles and (
            ev._AFTER_AS.match(text, ev._span(roles[0])[1])
            or (opens and ev._AFTER_AS.match(text, stop))
        ):
            end = ev._span(roles[-1])[1]
            group = next((r.suggested_group for r in roles if r.suggested_group), None)
            found.append(
                ev.Evidence("self", text[anchor.start() : end], anchor.start(), end, group)
            )
    for anchor in (*ev._MY_LIFE_AS.finditer(text), *ev._SPEAKS_AS.finditer(text)):
        stop = ev._clause_stop(text, anchor.end(), limit=80)
        tokens = ev._tokens(text, anchor.end(), stop)
        phrase, _ = ev._read_phrase(tokens, 0) if tokens else (None, 0)
        if phrase is not None:
            found.append(ev._self(text, anchor.start(), phrase))
    for start in ev._CLAUSE_START.finditer(text):
        found.extend(ev._clause_start_phrase(text, start.end()))
    for rule in ev._RULES:
        for match in rule.pattern.finditer(text):
            sentence = ev._sentence_around(text, match.start(), match.end())
            if rule.needs_first_person_sentence and (
                not ev._FIRST_PERSON.search(sentence) or ev._SECOND_PERSON.search(sentence)
            ):
                continue
            if rule.unless_sentence is not None and rule.unless_sentence.search(sentence):
                continue
            found.append(
                ev.Evidence(rule.kind, match.group(0), match.start(), match.end(), rule.group)
            )
    return ev._without_overlaps([e for e in found if not ev._played(text, e)])


# Letters that re.IGNORECASE matches to ASCII ones: the pre-checks must fold them too.
_LOOKALIKES = str.maketrans({"i": "ı", "s": "ſ", "k": "K", "I": "İ"})


def _variants(text: str) -> list[str]:
    padded = "I'm a " + "very " * 22 + text  # cuts a later word at the 120-character limit
    return [
        text,
        text.upper(),
        text.swapcase(),
        text.translate(_LOOKALIKES),
        padded,
        padded[:119] + "s" + padded[119:],
    ]


_MORE_PHRASES = [
    "I run a small commercial mastering studio in Leeds.",
    "I do lots of paid mixes, and some for free.",
    "Masks off: this is my side hustle, mixing.",
    "i've had 3 YEARS of mastering experience; I have been mixing since 2009.",
    # The 120-character clause limit cuts "producers" to the head word "producer".
    "I'm a " + "very " * 21 + "now producers make it.",
]


def _phrase_texts() -> list[str]:
    from tests.groups.test_engineer_talk import FOUND, NOT_THE_AUTHOR
    from tests.groups.test_evidence import NEGATIVE, POSITIVE
    from tests.groups.test_real_talk import FOUND as REAL_FOUND
    from tests.groups.test_real_talk import NOT_THE_AUTHOR as REAL_NOT_THE_AUTHOR
    from tests.groups.test_self_talk import FOUND as SELF_FOUND
    from tests.groups.test_self_talk import NOT_THE_AUTHOR as SELF_NOT_THE_AUTHOR

    texts = [row[0] for row in POSITIVE] + [
        row if isinstance(row, str) else row[0] for row in NEGATIVE
    ]
    texts += [row[0] for row in FOUND] + list(NOT_THE_AUTHOR)
    texts += [row[0] for row in SELF_FOUND] + list(SELF_NOT_THE_AUTHOR)
    texts += [row[0] for row in REAL_FOUND] + list(REAL_NOT_THE_AUTHOR)
    texts += _MORE_PHRASES
    return [variant for text in texts for variant in _variants(text)]


def test_evidence_prechecks_change_nothing_on_the_evidence_phrases() -> None:
    texts = _phrase_texts()
    results = [(text, ev.find_group_evidence(text)) for text in texts]
    assert all(found == _evidence_without_prechecks(text) for text, found in results)
    kinds = {e.kind for _, found in results for e in found}
    assert kinds == {"self", "paid", "experience"}  # the comparison is not vacuous
    rules_hit = {
        index for text in texts for index, rule in enumerate(ev._RULES) if rule.pattern.search(text)
    }
    assert rules_hit == set(range(len(ev._RULES)))


def test_evidence_prechecks_change_nothing_on_the_real_sample(
    pushshift_lines: list[bytes],
) -> None:
    for text in _bodies(pushshift_lines):
        assert ev.find_group_evidence(text) == _evidence_without_prechecks(text), text[:80]


def test_every_rule_match_contains_its_precheck_words() -> None:
    for text in _phrase_texts():
        for rule in ev._RULES:
            for match in rule.pattern.finditer(text):
                assert rule.may_match(ev._ignorecase_folded(match.group(0))), (rule, text)


# --- masking: per-rule pre-checks skip only rules that cannot change the text ---------------

_MASKING_CASES = [
    "mail me at Someone.Else+tag@Example.co.uk or call +44 20 7946 0958",
    "server 192.168.1.20 and fe80::1ff:fe23:4567:890a, (555) 123-4567",
    "see https://www.Reddit.COM/user/Some_One/ and youtube.com/@channel",
    "thanks u/SomeHandle and @some.handle, not 2024-05-01 or 44.1 kHz",
    "phone ١٢٣ ٤٥٦ ٧٨٩٠ in Arabic-Indic digits, 1.2.3 version",
    "1234 5678 on a card? 12 34 56 7 is seven digits",
]


def test_masking_prechecks_change_nothing(pushshift_lines: list[bytes]) -> None:
    masker = Masker(b"k" * 32)
    texts = _MASKING_CASES + _bodies(pushshift_lines)
    changed = 0
    for text in texts:
        expected = text
        for pattern, replace, _may_match in masker._rules():
            expected = pattern.sub(replace, expected)
        assert masker.mask(text) == expected
        changed += expected != text
    assert changed >= len(_MASKING_CASES)
