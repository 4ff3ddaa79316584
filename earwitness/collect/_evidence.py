"""Candidate evidence of a person's user group, from what they say about themselves.

A post or turn is searched for self-descriptions ("I'm just a hobbyist", "I'm a
professional mastering engineer"), statements of experience ("I've been mixing for 10
years") and of paid work ("I master for a living", "I do some paid mixes on the side"),
and a forum flair or user title is read the same way. Each finding keeps the exact span
quoted, so a researcher can judge it in context; a finding may suggest a group
(amateur, pro-am, professional) or leave it open. Nothing here decides a group.

The three groups follow Stebbins' amateur/professional continuum ("Amateurs,
Professionals, and Serious Leisure", 1992): amateurs do it for themselves, pro-ams hold
professional standards and are sometimes paid, professionals live from it.

Only first-person statements count: "my professional monitors", "hire a professional"
or "he has been mixing for 10 years" are not evidence about the writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["EVIDENCE_KEY", "GROUPS", "KINDS", "Evidence", "evidence_rows", "find_group_evidence"]

GROUPS = ("amateur", "pro-am", "professional")
KINDS = ("flair", "experience", "paid", "self")


@dataclass(frozen=True)
class Evidence:
    """One quoted span that says something about the writer's group."""

    kind: str
    quote: str
    start: int
    end: int
    suggested_group: str | None


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- vocabulary of self-descriptions ---------------------------------------------------

_AMATEUR_WORDS = _word_set(
    "hobbyist hobbyists hobby amateur amateurs bedroom beginner beginners novice novices "
    "newbie newbies noob noobs n00b weekend aspiring enthusiast enthusiasts"
)
_PRO_AM_WORDS = _word_set(
    "semi-pro semipro semi-professional semi part-time pro-am proam prosumer gigging"
)
_PROFESSIONAL_WORDS = _word_set(
    "professional professionals pro pros full-time full working freelance freelancer paid "
    "staff in-house commercial touring career veteran seasoned established"
)
_STANDALONE_HEADS = _word_set(
    "hobbyist amateur beginner novice newbie noob n00b enthusiast professional pro "
    "semi-pro semipro prosumer pro-am freelancer"
)
# Role nouns that name a music-making role whatever modifies them.
_MUSIC_HEADS = _word_set(
    "producer mixer masterer musician beatmaker composer songwriter guitarist bassist "
    "drummer keyboardist pianist singer vocalist rapper dj arranger"
)
# Role nouns that are about audio only with an audio modifier ("software engineer" is not).
_AUDIO_HEADS = _word_set("engineer tech technician editor designer student operator")
_AUDIO_MODIFIERS = _word_set(
    "mix mixing mastering recording audio sound studio live foh tracking post "
    "post-production broadcast session music dialogue film game"
)
_FILLERS = _word_set(
    "a an the just only merely simply basically really still currently now also actually "
    "primarily mainly mostly more kind sort of purely definitely certainly honestly "
    "literally pretty very quite fairly total complete absolute humble lowly little "
    "time self-taught hip-hop hip hop edm electronic metal rock jazz pop indie "
    "independent home"
)
_NEGATIONS = _word_set("not no never hardly nowhere near far from")
# Words after which a self-description may end: "I'm a hobbyist and ...", "... in Berlin".
_ENDERS = _word_set(
    "and but so or in at for with from by of myself too here who that which since based "
    "like as though although because mostly"
)
# Product names that begin with "pro": "I'm a Pro Tools user" says nothing about the writer.
_PRO_PRODUCTS = _word_set("tools q l c mb r ds g x")

_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*")
_CLAUSE_END = re.compile(r"[.;:!?\n()\[\]\"“”]|,(?!\d)| - | – | — ")

_SELF_ANCHOR = re.compile(
    r"\b(?:I['’]?m working as|I am working as|I work as|I['’]ve worked as|I have worked as|"
    r"I['’]ve been an?|I have been an?|I['’]?m|I am)\b",
    re.IGNORECASE,
)
_AS_ANCHOR = re.compile(r"\bas\b(?=\s+an?\s)", re.IGNORECASE)
_AFTER_AS = re.compile(r"\s*,?\s*(?:I\b|myself\b|me\b)", re.IGNORECASE)
_CLAUSE_START = re.compile(r"(?:^|(?<=[.!?\n;(]))[ \t]*(?=\S)")
_HERE = re.compile(r"\s*here\b", re.IGNORECASE)
_PHRASE_WORDS = (
    _FILLERS
    | _NEGATIONS
    | _AMATEUR_WORDS
    | _PRO_AM_WORDS
    | _PROFESSIONAL_WORDS
    | _AUDIO_MODIFIERS
    | _MUSIC_HEADS
    | _AUDIO_HEADS
    | _STANDALONE_HEADS
)


_HEAD_WORDS = _STANDALONE_HEADS | _MUSIC_HEADS | _AUDIO_HEADS
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
        if word in ("pro", "pros") and following in _PRO_PRODUCTS:
            break
        if word in _NEGATIONS and all(w in _NEGATIONS for w in words):
            negated = True
        elif (words and word in _ENDERS) or word not in _PHRASE_WORDS:
            break
        words.append(word)
        if _is_head(word, words):
            head_at = i
        i += 1
    if head_at < 0:
        return None, i
    stopped_at = _word(tokens[i]) if i < len(tokens) and _adjacent(tokens, i) else ""
    group_word_as_head = _word(tokens[head_at]) in _STANDALONE_HEADS
    if (
        group_word_as_head
        and stopped_at
        and stopped_at not in _ENDERS
        and not stopped_at.endswith("ing")
    ):
        # "a professional software developer": the phrase goes on about something else,
        # unless a music role follows within two words ("a hobbyist trap producer").
        extra = next(
            (j for j in range(i, min(i + 2, len(tokens))) if _word(tokens[j]) in _MUSIC_HEADS),
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


def _is_head(word: str, words: list[str]) -> bool:
    if word in _STANDALONE_HEADS or word in _MUSIC_HEADS:
        return True
    return word in _AUDIO_HEADS and any(w in _AUDIO_MODIFIERS for w in words[:-1])


def _suggest(words: list[str], negated: bool) -> str | None:
    if any(w in _AMATEUR_WORDS for w in words):
        return None if negated else "amateur"
    if any(w in _PRO_AM_WORDS for w in words):
        return None if negated else "pro-am"
    professional = [w for w in words if w in _PROFESSIONAL_WORDS and w != "full"]
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
    for anchor in _AS_ANCHOR.finditer(text):
        tokens = _tokens(text, anchor.end(), _clause_stop(text, anchor.end(), limit=80))
        phrase, _ = _read_phrase(tokens, 0) if tokens else (None, 0)
        if phrase is not None and _AFTER_AS.match(text, phrase.end):
            yield _self(text, anchor.start(), phrase)
    if "here" in folded or "just" in folded or "only" in folded:
        for start in _CLAUSE_START.finditer(text):
            yield from _clause_start_phrase(text, start.end())


def _tokens(text: str, start: int, stop: int) -> list[re.Match[str]]:
    return list(_WORD.finditer(text, start, stop))


def _self(text: str, start: int, phrase: _Phrase) -> Evidence:
    return Evidence("self", text[start : phrase.end], start, phrase.end, phrase.group)


def _conjuncts(text: str, quote_start: int, tokens: list[re.Match[str]]) -> Iterator[Evidence]:
    """The first self-description among the conjuncts: "I'm 45 and a hobbyist"."""
    index = 0
    while index < len(tokens):
        phrase, index = _read_phrase(tokens, index)
        if phrase is not None:
            yield _self(text, quote_start, phrase)
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

_I = (
    r"\bI(?:\s+(?:just|only|mostly|mainly|primarily|also|actually|still|now|currently|"
    r"basically|really))?"
)
_ACTIVITY = (
    r"(?:mix(?:ing)?|master(?:ing)?|produc(?:e|ing)|record(?:ing)?|engineer(?:ing)?|"
    r"mak(?:e|ing) (?:music|beats)|writ(?:e|ing) (?:music|songs)|"
    r"do(?:ing)? (?:this|it|audio|sound|music|mixing|mastering|live sound|post(?:[- ]production)?)|"
    r"work(?:ing)? (?:in|with) (?:audio|music|sound|studios?|post(?:[- ]production)?)|"
    r"in (?:the )?(?:audio|music|recording|mastering)(?: industry| business| game)?|"
    r"in (?:the )?(?:industry|business)|"
    r"at (?:this|it)|play(?:ing)?(?: \w+)?|"
    r"an? (?:[\w-]+ ){0,3}?(?:engineer|producer|mixer|musician|masterer|composer))"
)
_NUMBER_WORDS = (
    r"(?:\d+(?:\.\d+)?\s*\+?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|fifteen|twenty|thirty|forty|fifty|a couple(?: of)?|a few|several|many|"
    r"a dozen|a good few|a bunch of)"
)
_DURATION = (
    rf"(?:{_NUMBER_WORDS}\s*(?:-\s*)?(?:years?|yrs?|decades?|months?|weeks?)(?:\s*\+)?|"
    r"(?:19|20)\d\d)"
)
_ABOUT = (
    r"(?:(?:about|around|almost|nearly|over|more than|close to|roughly|like|"
    r"the (?:last|past)|well over)\s+)*"
)


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

    def may_match(self, folded: str) -> bool:
        for group in self.needs:
            for word in group:
                if word in folded:
                    break
            else:
                return False
        return True


def _rule(
    kind: str,
    pattern: str,
    group: str | None,
    *,
    first_person_sentence: bool = False,
    needs: tuple[tuple[str, ...], ...],
) -> _Rule:
    return _Rule(kind, re.compile(pattern, re.IGNORECASE), group, first_person_sentence, needs)


_OWN = (
    r"(?:run|own|operate|co-own|manage)\s+(?:an?|my(?:\s+own)?|our)\s+"
    r"(?:own\s+|small\s+|little\s+)?"
)
_PLACE = r"(?:studio|house|facility|business|company)\b"
_GIGS = (
    r"(?:paid|paying|client|freelance)\s+"
    r"(?:work|gigs?|jobs?|sessions?|projects?|mix(?:es|ing)?|master(?:s|ing)?)\b"
)
_DID = r"(?:do|did|take|took|have done|['’]ve done|get|got|take on)"
_AUDIO_FIELD = (
    r"(?:audio|music|recording|mastering|post[- ]production|broadcast|live sound|sound)"
    r"(?:\s+(?:industry|business|studio|house|facility|company|engineering))?\b"
)
_WORDS_0_3 = r"(?:\s+[\w'’]+){0,3}?"
_INDUSTRY = r"in (?:the )?(?:industry|audio|music|studio|business|game)"
_CRAFTS = r"(?:mixing|mastering|producing|recording|engineering|production)"
_NEW_TO = (
    r"(?:mixing|mastering|producing|production|music production|audio|recording|"
    r"this|music|making music|engineering|the hobby)\b"
)

_RULES: tuple[_Rule, ...] = (
    # paid work
    _rule(
        "paid",
        rf"{_I}\s+(?:{_ACTIVITY}|do (?:audio|sound)\w*){_WORDS_0_3}\s+for a living\b",
        "professional",
        needs=(("for a living",),),
    ),
    _rule(
        "paid",
        r"\b(?:mixing|mastering|producing|recording|audio|music|engineering|music production|"
        r"audio engineering|sound design|live sound)\s+(?:is|has been|['’]s)\s+my\s+"
        r"(?:(?:day|full[- ]time|main|only)\s+)?(?:job|living|career|profession|income|"
        r"bread and butter)\b(?!\s+to\b)",
        "professional",
        needs=(("my",), ("job", "living", "career", "profession", "income", "bread and butter")),
    ),
    _rule(
        "paid",
        rf"{_I}\s+(?:do|did|have done|['’]ve done)\s+(?:this|it|mixing|mastering|audio|music|"
        r"sound|production|engineering)\s+professionally\b",
        "professional",
        needs=(("professionally",),),
    ),
    _rule(
        "paid",
        rf"{_I}\s+work\s+(?:professionally\s+)?(?:in|at)\s+(?:an?\s+|the\s+)?{_AUDIO_FIELD}",
        "professional",
        needs=(
            ("work",),
            ("audio", "music", "recording", "mastering", "post", "broadcast", "sound"),
        ),
    ),
    _rule(
        "paid",
        rf"{_I}\s+{_OWN}(?:commercial|professional|pro)\s+"
        rf"(?:(?:mastering|mixing|recording|post[- ]production|audio)\s+)?{_PLACE}",
        "professional",
        needs=(
            ("run", "own", "operate", "manage"),
            ("commercial", "pro"),
            ("studio", "house", "facility", "business", "company"),
        ),
    ),
    _rule(
        "paid",
        rf"{_I}\s+{_OWN}(?:mastering|mixing|post[- ]production)(?:\s+and\s+\w+)?\s+{_PLACE}",
        "professional",
        needs=(
            ("run", "own", "operate", "manage"),
            ("mastering", "mixing", "production"),
            ("studio", "house", "facility", "business", "company"),
        ),
    ),
    _rule(
        "paid",
        rf"{_I}\s+{_DID}\s+(?:some|a bit of|a little|occasional|the occasional|a few|"
        rf"a handful of)\s+{_GIGS}",
        "pro-am",
        needs=(("paid", "pay", "client", "freelance"),),
    ),
    _rule(
        "paid",
        rf"{_I}\s+{_DID}\s+(?:lots of\s+|a lot of\s+|plenty of\s+)?{_GIGS}",
        None,
        needs=(("paid", "pay", "client", "freelance"),),
    ),
    _rule(
        "paid",
        rf"{_I}\s+(?:(?:sometimes|occasionally)\s+)?(?:get|got|am|['’]m|was|have been|"
        r"['’]ve been)\s+(?:(?:sometimes|occasionally)\s+)?paid\s+(?:to|for)\b",
        None,
        needs=(("paid",),),
    ),
    _rule(
        "paid",
        rf"{_I}\s+(?:{_ACTIVITY}|do (?:some|a bit of) (?:mixing|mastering|work|production))"
        rf"{_WORDS_0_3}\s+(?:on the side|as a side (?:gig|hustle|job|business))\b",
        "pro-am",
        needs=(("side",),),
    ),
    _rule(
        "paid", r"\bmy side (?:gig|hustle|job|business|income)\b", "pro-am", needs=(("my side ",),)
    ),
    _rule(
        "paid",
        rf"{_I}\s+(?:charge|bill)\s+(?:(?:my\s+)?(?:clients|people|artists|bands)\s+)?"
        r"(?:about\s+|around\s+)?[$€£]?\d",
        None,
        needs=(("charge", "bill"),),
    ),
    _rule(
        "paid",
        r"\bmy (?:paying |mix(?:ing)? |mastering |recording |studio )?clients\b",
        None,
        needs=(("my ",), ("clients",)),
    ),
    _rule(
        "paid",
        r"\bI\s+(?:don['’]t|do not|never|have never|['’]ve never)\s+(?:get paid|got paid|"
        r"been paid|do (?:this|it|music|mixing|mastering) (?:professionally|for a living|"
        r"for money)|make (?:any )?(?:money|a living))\b"
        r"(?!\s+(?:enough|much|well|a lot|nearly))",
        "amateur",
        needs=(("paid", "professionally", "living", "money"),),
    ),
    # hobby
    _rule(
        "self",
        r"\b(?:it['’]s|it is|this is|that['’]s|music is|mixing is|mastering is|producing is|"
        r"production is|music production is)\s+(?:just\s+|only\s+|purely\s+|merely\s+|"
        r"still\s+)?(?:a|my)\s+hobby\b",
        "amateur",
        first_person_sentence=True,
        needs=(("hobby",),),
    ),
    _rule(
        "self",
        rf"{_I}\s+(?:{_ACTIVITY}|make music){_WORDS_0_3}\s+"
        r"(?:as a hobby|for fun|just for fun|for myself)\b",
        "amateur",
        needs=(("hobby", "for fun", "for myself"),),
    ),
    # experience
    _rule(
        "experience",
        rf"\bI(?:['’]ve| have)(?:\s+(?:only|just|also|actually))?\s+been\s+{_ACTIVITY}"
        rf"(?:\s+[\w'’]+){{0,4}}?\s+(?:for|since|over)\s+{_ABOUT}{_DURATION}",
        None,
        needs=(("been",), ("year", "yr", "decade", "month", "week", "19", "20")),
    ),
    _rule(
        "experience",
        rf"\bI(?:['’]ve| have)(?:\s+(?:got|had))?\s+{_ABOUT}{_DURATION}\s+(?:of\s+)?"
        rf"(?:(?:professional\s+)?experience|{_INDUSTRY}|(?:of\s+)?{_CRAFTS}(?:\s+experience)?)\b",
        None,
        needs=(("ve",), ("year", "yr", "decade", "month", "week", "19", "20")),
    ),
    _rule(
        "experience",
        rf"\bI\s+(?:started|began)\s+{_ACTIVITY}{_WORDS_0_3}\s+(?:(?:back\s+)?in\s+(?:19|20)\d\d|"
        rf"{_ABOUT}{_NUMBER_WORDS}\s*(?:years?|decades?|months?)\s+ago)\b",
        None,
        needs=(("started", "began"),),
    ),
    _rule(
        "experience",
        rf"\b(?:after|with)\s+{_ABOUT}{_NUMBER_WORDS}\s*(?:years?|decades?)\s+(?:of\s+)?"
        rf"(?:experience|{_CRAFTS}|in the (?:industry|business))\b",
        None,
        first_person_sentence=True,
        needs=(("after", "with"), ("year", "decade")),
    ),
    _rule(
        "experience",
        rf"\bI(?:['’]ve| have)?\s+(?:only\s+)?(?:just|recently)\s+"
        rf"(?:started|begun|began|got into|gotten into)\s+"
        rf"(?:{_ACTIVITY}|learning(?:\s+(?:to|how to))?\s+\w+)",
        "amateur",
        needs=(("just", "recently"), ("start", "begun", "began", "got")),
    ),
    _rule(
        "experience",
        r"\bI['’]?m\s+(?:(?:still|fairly|pretty|very|quite|relatively|totally|completely|"
        rf"really|super|brand)\s+)*new\s+to\s+{_NEW_TO}",
        "amateur",
        needs=(("new",),),
    ),
)

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
            if rule.needs_first_person_sentence:
                sentence = _sentence_around(text, match.start(), match.end())
                if not _FIRST_PERSON.search(sentence) or _SECOND_PERSON.search(sentence):
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
        if not (w == "pro" and i + 1 < len(words) and words[i + 1] in _PRO_PRODUCTS)
    ]
    group = _flair_group(words)
    about_role = group is not None or any(_is_head(w, words[: i + 1]) for i, w in enumerate(words))
    if about_role or _FLAIR_EXPERIENCE.search(stripped):
        yield Evidence("flair", stripped, start, start + len(stripped), group)


def _flair_group(words: list[str]) -> str | None:
    if any(w in _AMATEUR_WORDS for w in words):
        return "amateur"
    if any(w in _PRO_AM_WORDS for w in words):
        return "pro-am"
    if any(w in ("professional", "pro", "full-time", "freelance", "freelancer") for w in words):
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
    evidence = _without_overlaps(found)
    if flair:
        evidence.extend(_flair_evidence(flair))
    return evidence


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
    for item in sorted(found, key=lambda e: (e.start, -(e.end - e.start))):
        clash = next(
            (k for k in kept if k.kind == item.kind and k.start < item.end and item.start < k.end),
            None,
        )
        if clash is None:
            kept.append(item)
        elif (item.end - item.start) > (clash.end - clash.start):
            kept[kept.index(clash)] = item
    return sorted(kept, key=lambda e: (e.start, e.end, e.kind))


EVIDENCE_KEY = ("participant_id", "document_id", "kind", "start", "end")
"""The columns that identify one piece of evidence in ``group_evidence``."""


def evidence_rows(
    participant_id: int, document_id: int, text: str, *, flair: str | None = None
) -> list[dict[str, Any]]:
    """The ``group_evidence`` rows for one document by one participant."""
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
        for evidence in find_group_evidence(text, flair=flair)
    ]
