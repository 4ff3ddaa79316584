"""Candidate evidence of a person's user group, from what they say about themselves.

A post or turn is searched for self-descriptions ("I'm just a hobbyist", "I'm a
professional mastering engineer"), statements of experience ("I've been mixing for 10
years") and of paid work ("I master for a living", "I do some paid mixes on the side"),
and a forum flair or user title is read the same way. Each finding keeps the exact span
quoted, so a researcher can judge it in context; a finding may suggest a group
(amateur, pro-am, professional) or leave it open. Nothing here decides a group.

The words and patterns are the tables of ``_vocabulary``; this module applies them.

Only first-person statements count: "my professional monitors", "hire a professional"
or "he has been mixing for 10 years" are not evidence about the writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from earwitness.groups._vocabulary import (
    _NUMBER_WORDS,
    AMATEUR_WORDS,
    AUDIO_HEADS,
    AUDIO_MODIFIERS,
    ENDERS,
    EVIDENCE_PATTERNS,
    FILLERS,
    FLAIR_PROFESSIONAL_WORDS,
    HYPOTHETICAL,
    MUSIC_HEADS,
    NEGATIONS,
    PRO_AM_WORDS,
    PRO_PRODUCTS,
    PROFESSIONAL_WORDS,
    STANDALONE_HEADS,
    STUDENT_WORDS,
    EvidencePattern,
)

__all__ = ["EVIDENCE_KEY", "Evidence", "evidence_rows", "find_group_evidence"]


@dataclass(frozen=True)
class Evidence:
    """One quoted span that says something about the writer's group.

    Found in a text, it has the span and the suggestion; read back from the store's
    ``group_evidence`` table, it also has its row ``id``, the ``participant_id`` and
    the ``document_id`` (offsets are then in that document's text).
    """

    kind: str
    quote: str
    start: int | None
    end: int | None
    suggested_group: str | None
    id: int | None = None
    participant_id: int | None = None
    document_id: int | None = None


_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*")
_CLAUSE_END = re.compile(r"[.;:!?\n()\[\]\"“”]|,(?!\d)| - | – | — ")

_SELF_ANCHOR = re.compile(
    r"\b(?:I['’]?m working as|I am working as|I work as|I['’]ve worked as|I have worked as|"
    r"I['’]ve been working as|I have been working as|I(?:\s+(?:just|also|mostly))?\s+worked as|"
    r"I['’]ve been an?|I have been an?|I['’]?m|I am)\b",
    re.IGNORECASE,
)
# "After 15+ years of working as a mastering engineer, one thing still shocks me": only
# when the sentence has the writer in it and no one else (issue 22, dev split).
_YEARS_AS = re.compile(r"\b(?:After|With)\s+\d+\+?\s+years\s+of\s+working\s+as\b", re.IGNORECASE)
# "my daily routine as a mixing engineer", "my work as a mastering engineer": the writer's
# working life in a role (issue 22 §4)
_MY_LIFE_AS = re.compile(
    r"\bmy\s+(?:[\w-]+\s+){0,2}?(?:routine|work|job|day|days|life|career|years|role|duties|"
    r"workflow)\s+as\b(?=\s+an?\s)",
    re.IGNORECASE,
)
# "I'll answer as a long-time bedroom recordist": the writer speaking in a role
_SPEAKS_AS = re.compile(
    r"\b(?-i:I)(?:['’]ll|\s+will|['’]m|\s+am)?\s+(?:speak|speaking|answer|answering|write|writing|"
    r"comment|commenting|reply|replying|talk|talking)\s+(?:here\s+)?as\b(?=\s+an?\s)",
    re.IGNORECASE,
)
_AS_A = re.compile(r"\bas\s+an?\s")  # what both need, on the case-folded text
_THIRD_PERSON = re.compile(r"\b(?:he|she|they|his|her|their)\b", re.IGNORECASE)
_AS_ANCHOR = re.compile(r"\b(?:as|being)\b(?=\s+an?\s)", re.IGNORECASE)
# "As a mastering engineer, I ...", "As a mastering engineer if I am given a good mix ..."
_AFTER_AS = re.compile(
    r"\s*,?\s*(?:(?:if|when|whenever|once|after|before)\s+)?(?:I\b|myself\b|me\b)"
    # "As a mastering engineer, a crucial part of my job is ..." (issue 22, dev split)
    r"|\s*,\s*(?:a|an|the)\s+(?:\w+\s+){0,3}(?:part|half|share)\s+of\s+my\s+(?:job|work)\b",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"(?:^|(?<=[.!?\n;(]))[ \t]*(?=\S)")
_HERE = re.compile(r"\s*here\b", re.IGNORECASE)
_PHRASE_WORDS = (
    FILLERS
    | NEGATIONS
    | AMATEUR_WORDS
    | PRO_AM_WORDS
    | PROFESSIONAL_WORDS
    | AUDIO_MODIFIERS
    | MUSIC_HEADS
    | AUDIO_HEADS
    | STANDALONE_HEADS
)


_HEAD_WORDS = STANDALONE_HEADS | MUSIC_HEADS | AUDIO_HEADS
_HEADS = "|".join(re.escape(word) for word in sorted(_HEAD_WORDS, key=len, reverse=True))
# Where a head word may begin a token of folded ASCII text. Only the start is bounded:
# a token cut at a clause's length limit ("producers" -> "producer") is a head. In
# other text, folding may turn a letter before a token into ASCII, so no bound at all.
_HEAD_START = re.compile(rf"(?<![a-z0-9])(?:{_HEADS})")
_HEAD_ANYWHERE = re.compile(_HEADS)


@dataclass(frozen=True)
class _Phrase:
    """A self-describing noun phrase: where it ends and the group it suggests."""

    end: int
    group: str | None


def _word(token: re.Match[str]) -> str:
    return token.group(0).lower().replace("’", "'")


def _clause_stop(text: str, start: int, limit: int = 120) -> int:
    found = _CLAUSE_END.search(text, start, min(len(text), start + limit))
    return found.start() if found else min(len(text), start + limit)


def _read_phrase(tokens: list[re.Match[str]], index: int) -> tuple[_Phrase | None, int]:
    """Read one self-describing noun phrase starting at ``tokens[index]``.

    Returns the phrase (None when the words do not describe a music or audio role or a
    group) and the index of the first token after it.
    """
    words: list[str] = []
    negated = False
    head_at = -1
    i = index
    while i < len(tokens):
        word = _word(tokens[i])
        following = _word(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if word in ("pro", "pros") and following in PRO_PRODUCTS:
            break
        if word in NEGATIONS and all(w in NEGATIONS for w in words):
            negated = True
        elif (words and word in ENDERS) or word not in _PHRASE_WORDS:
            break
        words.append(word)
        if _is_head(word, words):
            head_at = i
        i += 1
    if head_at < 0:
        return None, i
    if head_at + 1 < len(tokens) and _slashed(tokens, head_at + 1):
        head_at = head_at + 1  # "a producer/engineer"
        i = max(i, head_at + 1)
    stopped_at = _word(tokens[i]) if i < len(tokens) and _adjacent(tokens, i) else ""
    group_word_as_head = _word(tokens[head_at]) in STANDALONE_HEADS
    if (
        group_word_as_head
        and stopped_at
        and stopped_at not in ENDERS
        and not stopped_at.endswith("ing")
    ):
        # "a professional software developer": the phrase goes on about something else,
        # unless a music role follows within two words ("a hobbyist trap producer").
        extra = next(
            (j for j in range(i, min(i + 2, len(tokens))) if _word(tokens[j]) in MUSIC_HEADS),
            None,
        )
        if extra is None:
            return None, i
        words.extend(_word(tokens[j]) for j in range(i, extra + 1))
        head_at, i = extra, extra + 1
    elif _word(tokens[head_at]) in ("pro", "professional") and stopped_at == "at":
        return None, i  # "I'm a pro at procrastinating"
    return _Phrase(end=tokens[head_at].end(), group=_suggest(words, negated)), i


def _adjacent(tokens: list[re.Match[str]], index: int) -> bool:
    """Whether only spaces separate ``tokens[index]`` from the token before it."""
    before = tokens[index - 1]
    return not before.string[before.end() : tokens[index].start()].strip()


def _slashed(tokens: list[re.Match[str]], index: int) -> bool:
    """Whether ``tokens[index]`` is a role joined to the one before by a slash."""
    before = tokens[index - 1]
    joint = before.string[before.end() : tokens[index].start()]
    return joint == "/" and _word(tokens[index]) in _HEAD_WORDS


def _is_head(word: str, words: list[str]) -> bool:
    if word in STANDALONE_HEADS or word in MUSIC_HEADS:
        return True
    return word in AUDIO_HEADS and any(w in AUDIO_MODIFIERS for w in words[:-1])


def _suggest(words: list[str], negated: bool) -> str | None:
    if any(w in AMATEUR_WORDS or w in STUDENT_WORDS for w in words):
        return None if negated else "amateur"
    if any(w in PRO_AM_WORDS for w in words):
        return None if negated else "pro-am"
    professional = [w for w in words if w in PROFESSIONAL_WORDS and w != "full"]
    if "full" in words and "time" in words:
        professional.append("full")
    if professional:
        return "amateur" if negated else "professional"
    return None


def _self_descriptions(text: str, folded: str) -> Iterator[Evidence]:
    heads = _HEAD_START if text.isascii() else _HEAD_ANYWHERE
    if not heads.search(folded):
        return  # every self-description ends in a head word
    for anchor in _SELF_ANCHOR.finditer(text):
        stop = _clause_stop(text, anchor.end())
        yield from _conjuncts(text, anchor.start(), _tokens(text, anchor.end(), stop))
    for anchor in _YEARS_AS.finditer(text):
        sentence = _sentence_around(text, anchor.start(), anchor.end())
        if _FIRST_PERSON.search(sentence) and not _THIRD_PERSON.search(sentence):
            stop = _clause_stop(text, anchor.end())
            yield from _conjuncts(text, anchor.start(), _tokens(text, anchor.end(), stop))
    for anchor in _AS_ANCHOR.finditer(text):
        stop = _clause_stop(text, anchor.end(), limit=80)
        # "As an audiophile and a mastering engineer and musician, I'm ...": the role
        # may be any conjunct, and the writer follows the clause
        opens = not text[_sentence_start(text, anchor.start()) : anchor.start()].strip()
        roles = list(
            _conjuncts(text, anchor.start(), _tokens(text, anchor.end(), stop), every=True)
        )
        if roles and (
            _AFTER_AS.match(text, _span(roles[0])[1]) or (opens and _AFTER_AS.match(text, stop))
        ):
            end = _span(roles[-1])[1]
            group = next((r.suggested_group for r in roles if r.suggested_group), None)
            yield Evidence("self", text[anchor.start() : end], anchor.start(), end, group)
    roles_as = (_MY_LIFE_AS, _SPEAKS_AS) if _AS_A.search(folded) else ()
    for anchor in (m for anchor_re in roles_as for m in anchor_re.finditer(text)):
        stop = _clause_stop(text, anchor.end(), limit=80)
        tokens = _tokens(text, anchor.end(), stop)
        role, _ = _read_phrase(tokens, 0) if tokens else (None, 0)
        if role is not None:
            yield _self(text, anchor.start(), role)
    if "here" in folded or "just" in folded or "only" in folded:
        for start in _CLAUSE_START.finditer(text):
            yield from _clause_start_phrase(text, start.end())


def _tokens(text: str, start: int, stop: int) -> list[re.Match[str]]:
    return list(_WORD.finditer(text, start, stop))


def _self(text: str, start: int, phrase: _Phrase) -> Evidence:
    return Evidence("self", text[start : phrase.end], start, phrase.end, phrase.group)


def _conjuncts(
    text: str, quote_start: int, tokens: list[re.Match[str]], every: bool = False
) -> Iterator[Evidence]:
    """The first self-description among the conjuncts: "I'm 45 and a hobbyist" (with
    ``every``, each of them: "a drummer and a recording engineer")."""
    index = 0
    while index < len(tokens):
        phrase, index = _read_phrase(tokens, index)
        if phrase is not None:
            yield _self(text, quote_start, phrase)
            if not every:
                return
        while index < len(tokens) and _word(tokens[index]) not in ("and", "&"):
            index += 1
        index += 1


def _clause_start_phrase(text: str, start: int) -> Iterator[Evidence]:
    """'Hobbyist here', 'Just a hobbyist, but ...', 'Full-time mastering engineer here'."""
    stop = _clause_stop(text, start)
    tokens = _tokens(text, start, stop)
    if not tokens or tokens[0].start() != start:
        return
    phrase, index = _read_phrase(tokens, 0)
    if phrase is None:
        return
    says_here = _HERE.match(text, phrase.end) is not None
    ends_clause = index >= len(tokens)
    if says_here or (_word(tokens[0]) in ("just", "only") and ends_clause):
        yield _self(text, start, phrase)


# --- paid work, hobby, experience ---------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A pattern, and words every match contains: one of each group of ``needs``.

    The words are a cheap pre-check on the case-folded text: a text without them cannot
    match, so most texts skip the pattern.
    """

    kind: str
    pattern: re.Pattern[str]
    group: str | None
    needs_first_person_sentence: bool
    needs: tuple[tuple[str, ...], ...]
    unless_sentence: re.Pattern[str] | None = None

    def may_match(self, folded: str) -> bool:
        for group in self.needs:
            for word in group:
                if word in folded:
                    break
            else:
                return False
        return True


def _compile(spec: EvidencePattern) -> _Rule:
    pattern = re.compile(spec.pattern, re.IGNORECASE)
    unless = re.compile(spec.unless_sentence, re.IGNORECASE) if spec.unless_sentence else None
    return _Rule(spec.kind, pattern, spec.group, spec.first_person_sentence, spec.needs, unless)


_RULES: tuple[_Rule, ...] = tuple(_compile(spec) for spec in EVIDENCE_PATTERNS)


_FIRST_PERSON = re.compile(r"\b(?:I|I['’]m|I['’]ve|me|my|myself|mine)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|you['’]re|your)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+")


def _sentence_around(text: str, start: int, end: int) -> str:
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= start < sentence.end():
            return text[sentence.start() : max(end, sentence.end())]
    return text[start:end]


def _rule_matches(text: str, folded: str) -> Iterator[Evidence]:
    for rule in _RULES:
        if not rule.may_match(folded):
            continue
        for match in rule.pattern.finditer(text):
            sentence = _sentence_around(text, match.start(), match.end())
            if rule.needs_first_person_sentence and (
                not _FIRST_PERSON.search(sentence) or _SECOND_PERSON.search(sentence)
            ):
                continue
            if rule.unless_sentence is not None and rule.unless_sentence.search(sentence):
                continue
            yield Evidence(rule.kind, match.group(0), match.start(), match.end(), rule.group)


# --- flair ----------------------------------------------------------------------------------

_FLAIR_EXPERIENCE = re.compile(
    rf"{_NUMBER_WORDS}\s*(?:years?|yrs?|decades?)\b|\bsince\s+(?:19|20)\d\d\b", re.IGNORECASE
)


def _flair_evidence(flair: str) -> Iterator[Evidence]:
    stripped = flair.strip()
    if not stripped:
        return
    start = flair.index(stripped)
    words = [m.group(0).lower() for m in _WORD.finditer(stripped)]
    words = [
        w
        for i, w in enumerate(words)
        if not (w == "pro" and i + 1 < len(words) and words[i + 1] in PRO_PRODUCTS)
    ]
    group = _flair_group(words)
    about_role = group is not None or any(_is_head(w, words[: i + 1]) for i, w in enumerate(words))
    if about_role or _FLAIR_EXPERIENCE.search(stripped):
        yield Evidence("flair", stripped, start, start + len(stripped), group)


def _flair_group(words: list[str]) -> str | None:
    if any(w in AMATEUR_WORDS for w in words):
        return "amateur"
    if any(w in PRO_AM_WORDS for w in words):
        return "pro-am"
    if any(w in FLAIR_PROFESSIONAL_WORDS for w in words):
        return "professional"
    return None


# --- the public function ----------------------------------------------------------------------


def find_group_evidence(text: str, *, flair: str | None = None) -> list[Evidence]:
    """Every span of ``text`` (and of ``flair``) that is evidence of the writer's group.

    Offsets are code points in ``text`` (end exclusive); a flair finding's offsets are
    in ``flair``. Overlapping findings of the same kind are merged into the longest.
    """
    folded = _ignorecase_folded(text)
    found = [*_self_descriptions(text, folded), *_rule_matches(text, folded)]
    evidence = _without_overlaps([e for e in found if not _played(text, e)])
    if flair:
        evidence.extend(_flair_evidence(flair))
    return evidence


def _played(text: str, found: Evidence) -> bool:
    """Whether the sentence before the finding makes it a role played or a supposition."""
    start, end = _span(found)
    return HYPOTHETICAL.search(text, _sentence_start(text, start), end) is not None


def _sentence_start(text: str, at: int) -> int:
    return max(text.rfind(mark, 0, at) for mark in ".!?\n") + 1


def _ignorecase_folded(text: str) -> str:
    """``text`` lowercased so that an ASCII word re.IGNORECASE finds in it is a substring.

    Besides ASCII case, re.IGNORECASE matches "ı", "ſ", "İ" and the Kelvin sign to ASCII
    letters (Python docs, re module); ``lower()`` turns "İ" into "i" and a combining dot.
    """
    if text.isascii():
        return text.lower()
    return text.lower().replace("ı", "i").replace("ſ", "s").replace("\u0307", "")


def _without_overlaps(found: list[Evidence]) -> list[Evidence]:
    kept: list[Evidence] = []
    for item in sorted(found, key=lambda e: (_span(e)[0], -_length(e))):
        start, end = _span(item)
        clash = next(
            (k for k in kept if k.kind == item.kind and _span(k)[0] < end and start < _span(k)[1]),
            None,
        )
        if clash is None:
            kept.append(item)
        elif _length(item) > _length(clash):
            kept[kept.index(clash)] = item
    return sorted(kept, key=lambda e: (*_span(e), e.kind))


def _span(found: Evidence) -> tuple[int, int]:
    """The offsets of a finding in a text (always set, unlike a stored row's)."""
    assert found.start is not None and found.end is not None
    return found.start, found.end


def _length(found: Evidence) -> int:
    start, end = _span(found)
    return end - start


EVIDENCE_KEY = ("participant_id", "document_id", "kind", "start", "end")
"""The columns that identify one piece of evidence in ``group_evidence``."""


def evidence_rows(
    participant_id: int,
    document_id: int,
    text: str,
    *,
    flair: str | None = None,
    found: Sequence[Evidence] | None = None,
) -> list[dict[str, Any]]:
    """The ``group_evidence`` rows for one document by one participant; ``found`` is
    ``find_group_evidence(text, flair=flair)`` when it was already run (on a worker)."""
    created_at = datetime.now(UTC)
    return [
        {
            "participant_id": participant_id,
            "document_id": document_id,
            "start": evidence.start,
            "end": evidence.end,
            "quote": evidence.quote,
            "kind": evidence.kind,
            "suggested_group": evidence.suggested_group,
            "created_at": created_at,
        }
        for evidence in (find_group_evidence(text, flair=flair) if found is None else found)
    ]
