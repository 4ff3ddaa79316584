"""Target-centred stance toward one tool mention: a transparent rule layer over lexicons.

VADER (Hutto & Gilbert 2014) scores the sentiment of a whole text; stance is about a
target (Mohammad et al. 2016, SemEval-2016 task 6). This scorer reads only what is said
about the mentioned tool:

* **Scope.** The sentence holding the mention, cut into clauses at contrast words ("but",
  "although", "however", ...). A clause counts for the tool when it names the tool, or
  names no other tool and its subject is not something else of the author's ("my master",
  "my mix"); sentiment aimed at another target is not credited. The next sentence counts
  too when it goes on about the tool ("It ...", "Its ...", "The result ...").
* **Polarity.** VADER's lexicon (valence -4..+4) plus a small domain lexicon of criticism
  and praise without ordinary sentiment words ("dumbing down", "laughed it off",
  "brickwalled", "does the job"). A word within three tokens after a negator is flipped
  and damped by VADER's factor -0.74.
* **Comparison.** "X is better than Y", "prefer X over Y": positive for X, negative for Y
  (reversed for "worse than").
* **Neutral.** Questions, and descriptive, news or promotional text (announcements,
  features, prices, "lets you") without a first-person judgement; such a sentence adds
  nothing, but the sentences that go on about the tool still count ("... services like
  LANDR are becoming popular. In my opinion there are problems with these services").
  A rhetorical question that carries the field's criticism ("Do you want to sound
  average?") is not neutral.
* **Mixed.** Both a positive and a negative clause aimed at the tool, or praise under a
  counterfactual ("you would have a winner with X with two changes").

No spaCy pipeline is installed here (``spacy.util.get_installed_models()`` is empty), so
the grammatical relation is approximated by the clause rules above.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = ["RULES_MODEL_ID", "TargetStance", "rule_stance"]

RULES_MODEL_ID = "target-rules-3"
_NEGATION_SCALAR = -0.74  # VADER's N_SCALAR
_THRESHOLD = 1.0  # summed valence a clause needs to count as positive or negative

_DOMAIN_LEXICON: dict[str, float] = {
    # criticism without ordinary sentiment words
    "dumbing down": -2.5,
    "dumbed down": -2.5,
    "laughed it off": -2.5,
    "laughed at": -2.0,
    "brickwalled": -2.5,
    "brick walled": -2.5,
    "squashed": -2.0,
    "over-compressed": -2.5,
    "overcompressed": -2.5,
    "lifeless": -2.5,
    "soulless": -2.5,
    "sterile": -2.0,
    "generic": -1.5,
    "cookie cutter": -2.0,
    "cookie-cutter": -2.0,
    "one size fits all": -1.5,
    "harsh": -2.0,
    "muddy": -2.0,
    "thin": -1.0,
    "tinny": -2.0,
    "pumping": -1.5,
    "crushed": -2.0,
    "distorted": -1.5,
    "gimmick": -2.0,
    "gimmicky": -2.0,
    "snake oil": -2.5,
    "garbage": -2.5,
    "trash": -2.5,
    "rubbish": -2.5,
    "waste of money": -3.0,
    "waste of time": -3.0,
    "not worth": -2.5,
    "no substitute": -2.0,
    "can't replace": -2.0,
    "cannot replace": -2.0,
    "won't replace": -1.5,
    "never replace": -2.0,
    "robotic": -1.5,
    "meh": -1.5,
    "mediocre": -2.0,
    "underwhelming": -2.0,
    "unusable": -2.5,
    "refund": -1.5,
    "cancelled": -1.0,
    "canceled": -1.0,
    "ruined": -2.5,
    "destroyed": -2.0,
    "too loud": -1.5,
    "worse": -2.0,
    # praise without ordinary sentiment words
    "does the job": 2.0,
    "did the job": 2.0,
    "gets the job done": 2.0,
    "game changer": 2.5,
    "game-changer": 2.5,
    "saved me": 2.0,
    "recommend": 2.0,
    "recommended": 2.0,
    "impressed": 2.0,
    "punchy": 1.5,
    "polished": 1.5,
    "works well": 2.0,
    "worked well": 2.0,
    "worth it": 2.0,
    "surprisingly good": 2.5,
    "decent": 1.5,
    "solid": 1.5,
    "better": 1.5,
    "go-to": 2.0,
    "spot on": 2.0,
    "nailed": 2.0,
    "useful": 1.5,
    "helpful": 1.5,
    "handy": 1.5,
    "quick and easy": 1.5,
    "compelling": 2.0,
    "check out": 1.5,
    "beating": 1.5,
    # complaints and objections
    "my issue with": -2.0,
    "issue with": -1.5,
    "issues with": -1.5,
    "had issues": -1.5,
    "have issues": -1.5,
    "issues running": -1.5,
    "objection": -2.0,
    "my concern": -1.5,
    "missing the point": -2.0,
    "mediocrity": -2.0,
    "sound average": -1.5,
    "hit and miss": -1.5,
    "doesn't let": -1.5,
    "don't let": -1.5,
    "doesn't give": -1.5,
    "don't give": -1.5,
    "no way to": -1.0,
    # "anything bad or good": no lean either way
    "bad or good": 0.0,
    "good or bad": 0.0,
}

# Inflected criticism and praise of the field, and reported mockery: regular expressions
# with a valence, read before single words (issue 22: "squashing my dynamics", "laughed
# Landr off in no uncertain terms", "release-ready").
_DOMAIN_PATTERNS: tuple[tuple[str, float], ...] = (
    (r"\bsquash(?:ed|es|ing)?\b", -2.0),
    (r"\bbrick[- ]?wall(?:ed|s|ing)?\b", -2.5),
    (r"\bover[- ]?(?:compress|limit|process|squash)\w*", -2.5),
    (r"\bsmash(?:ed|es|ing)\b", -1.5),
    (r"\bpumping\b", -1.5),
    (r"\bfrustrat\w*", -2.0),
    (r"\bfatiguing\b", -2.0),
    (r"\b(?:dull|lifeless|flat|boxy|harsh(?:er|ness)?|muddy|muddier)\b", -2.0),
    (
        r"\b(?:kill(?:ed|s|ing)?|suck(?:ed|s|ing)? (?:out|the life))\b[^.!?]{0,20}"
        r"\b(?:dynamics|life|punch|transients?)\b",
        -2.0,
    ),
    (r"\blaugh(?:ed|s|ing)?\s+(?:[\w'’@-]+\s+){0,3}?off\b", -2.5),
    (r"\b(?:scoff|mock|ridicul|sneer|jeer|sniff)\w*\s+at\b|\b(?:mocked|ridiculed)\b", -2.0),
    (r"\broll(?:ed|s|ing)?\s+(?:his|her|their|my|our)\s+eyes\b", -2.0),
    (r"\bin no uncertain terms\b", -0.5),
    # "... is genuinely good; a mastering engineer still wins for flagship singles"
    (
        r"\b(?:engineers?|humans?|pros?|professionals?|people)\b[^.;!?]{0,30}\bstill\s+"
        r"(?:wins?|beats?|better|does it better|the way to go)\b",
        -2.0,
    ),
    (r"\bbottl\w*neck\b", -1.5),
    (r"\b(?:release|radio|club|streaming)[- ]ready\b", 2.0),
    (r"\bwarm(?:er)?\b", 1.0),
    (r"\b(?:punchier|glued?|cohesive)\b", 1.5),
)

# VADER lexicon entries that are not sentiment in this domain.
_NOT_SENTIMENT = frozenset(
    [
        "master",
        "mastering",
        "mastered",
        "free",
        "pretty",
        "like",
        "kind",
        "loud",
        "loudness",
        "clear",
        "clearing",
        "reference",
        "match",
        "matching",
        "assistant",
        "no",
        "yes",
        "ok",
        "okay",
        "please",
        "want",
        "wanted",
        "care",
        "limit",
        "limiter",
        "limiting",
        "compression",
        "compressor",
        "fix",
        "fixed",
        "fixes",
        "demo",
        "demos",
        "sharp",
        "honestly",
        "warmth",
        "cut",
        "cuts",
        "hard",
        "high",
        "low",
        "sweet",
    ]
)

_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "neither",
        "nor",
        "hardly",
        "barely",
        "without",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "can't",
        "cannot",
        "couldn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "ain't",
        "haven't",
        "hasn't",
        "hadn't",
        "isnt",
        "wasnt",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
    ]
)
_CONTRAST = re.compile(
    r"\s*;\s*|\s*(?:,\s*)?\b(?:but|however|although|though|yet|whereas|except|while|"
    r"on the other hand|that said)\b\s*,?\s*",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?:[^.!?\n]|(?<=\d)\.(?=\d))+[.!?]*", re.UNICODE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|[0-9]+|[!?]")
_OWN_TARGET = re.compile(
    r"^\s*(?:and\s+|so\s+|then\s+)?(?:my|our|the engineer'?s?|his|her|their)\s+"
    r"(?:own\s+)?(?:master|mix|mixes|masters|track|tracks|song|songs|album|ep|record|"
    r"engineer|mastering engineer|ears?|room|monitors?|band|label|client)s?\b",
    re.IGNORECASE,
)
_CONTINUES = re.compile(
    r"^\s*(?:(?:i think|imo|honestly|but|and|so)\s+)?(?:it|its|it's|it’s|they|this|"
    r"the (?:result|results|master|masters|output|sound|algorithm|ai|service|app|plugin|"
    r"tool|price|pricing))\b|\b(?:these|such|those) (?:services|tools|platforms|plugins|apps)\b",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"\b(?:announc\w*|launch\w*|releas\w* (?:a|its|their|the)|introduc\w*|unveil\w*|"
    r"partner\w*|acquir\w*|raised|funding|press release|available (?:now|today|for)|"
    r"lets you|gives you|allows? (?:you|users|artists)|enables?|includes?|latest|advancement|"
    r"this (?:article|paper|study|chapter) (?:proposes|examines|argues|explores)|"
    r"is an advanced|is a novel|"
    r"designed to|rule of thumb|tips?|how to|make sure|"
    r"powered by|per month|a month|/mo\b|subscription|pricing|plans? start|sign up|"
    r"free trial|download|update[sd]? to|version \d|new version|supports?|"
    r"according to|reported|claims? to|users can|artists can|is an? (?:ai|online|automated|cloud|"
    r"free|open[- ]source)|is a (?:python|library|plugin|service|platform|tool))\b",
    re.IGNORECASE,
)
# A list entry: a bullet, a numbered item, a table row, a markdown link, or a request to
# add a tool to a list ("Add Matchering to ...", "alongside the other services (Landr, ...)").
_LIST_ENTRY = re.compile(
    r"^\s*(?:[-*•+]\s|\d+[.)]\s|\|)|\[[^\]]+\]\(https?://|"
    r"\b(?:add(?:s|ed|ing)?\s+[^.]{0,60}\bto\s+(?:the\s+)?(?:list|section|readme|awesome)|"
    r"alongside\s+(?:the\s+)?other)\b",
    re.IGNORECASE,
)
# A bug report or support request: its complaints are about a defect, not a verdict on
# the tool (issue 22: bug reports were read as negative; people label them neutral).
_BUG_REPORT = re.compile(
    r"\b(?:error(?:\s+code)?\s*#?\d+|crash(?:es|ed|ing)?|stack ?trace|traceback|exception|"
    r"steps to reproduce|expected behaviou?r|actual behaviou?r|bug|segfault|"
    r"(?:doesn't|does not|won't|will not|can't|cannot)\s+(?:load|open|start|launch|install|"
    r"detect|export|save|find)|not (?:detected|loading|working)|incompatib\w*|"
    r"receiving (?:an? )?error|warning:|(?:last|raw|this) error|"
    r"error (?:received|details|message))\b",
    re.IGNORECASE,
)
# A feature request or a how-to question put as a wish: no verdict on the tool.
_REQUEST = re.compile(
    r"\b(?:I(?:'d| would) love (?:to see|it if|\w+ to (?:have|support|add|get))|"
    r"feature request|please add|could you (?:please )?add|would it be possible|is it possible|"
    r"any way to|it would be (?:nice|great|cool|amazing) (?:if|to))",
    re.IGNORECASE,
)
# Words of a verdict that a bug report can still carry ("this tool is garbage, it crashes").
_JUDGEMENT = re.compile(
    r"\b(?:hate|awful|terrible|garbage|trash|useless|worst|sucks?|(?<!would )(?<!'d )love|"
    r"amazing|great|"
    r"excellent|wonderful|fantastic|frustrat\w*|disappoint\w*|waste)\b",
    re.IGNORECASE,
)
# "we" and "our" are left out: they are the voice of vendors' copy.
_FIRST_PERSON_JUDGEMENT = re.compile(
    r"\b(?:I|I'm|I’m|I've|I’ve|I'd|me|my|imo|imho|honestly)\b", re.IGNORECASE
)
_COMPARATIVE = re.compile(
    r"\b(?P<word>better|worse|superior|inferior|nicer|cleaner|"
    r"(?:much |way |far |a lot )?(?:more|less) (?P<quality>[\w-]+)(?: and [\w-]+)?|"
    r"prefer(?:red)?|outperform\w*|blows? away)\b"
    r"[^.!?]{0,60}?\b(?P<than>than|over|compared to|vs\.?|versus)\b",
    re.IGNORECASE,
)
_QUALITIES = frozenset(
    [
        "accurate",
        "punch",
        "punchy",
        "impact",
        "clarity",
        "depth",
        "detail",
        "width",
        "warmth",
        "presence",
        "energy",
        "natural",
        "musical",
        "transparent",
        "balanced",
        "useful",
        "helpful",
    ]
)
_WORSE = frozenset({"worse", "inferior"})
# "X had more punch and clarity" (no "than"): the quality is credited to X.
_MORE_QUALITY = re.compile(
    r"\b(?P<word>more|less)\s+(?P<quality>[\w-]+)(?:\s+and\s+(?P<second>[\w-]+))?", re.IGNORECASE
)
# Praise under a counterfactual: "you would have a winner with X", "X could go from a nice
# try to a total winner" are conditional verdicts, labelled mixed.
_COUNTERFACTUAL_PRAISE = re.compile(
    r"\b(?:would|could)\s+(?:have|be|go|become)\b[^.!?]{0,40}\b(?:winner|perfect|killer)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int


@cache
def _vader_lexicon() -> dict[str, float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lexicon = dict(SentimentIntensityAnalyzer().lexicon)
    for word in _NOT_SENTIMENT:
        lexicon.pop(word, None)
    return lexicon


@cache
def _phrase_pattern() -> re.Pattern[str]:
    phrases = sorted((p for p in _DOMAIN_LEXICON if " " in p or "-" in p), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.IGNORECASE)


@cache
def _domain_patterns() -> tuple[tuple[re.Pattern[str], float], ...]:
    return tuple((re.compile(p, re.IGNORECASE), v) for p, v in _DOMAIN_PATTERNS)


def _valences(clause: str) -> tuple[float, float]:
    """(positive sum, negative sum as a positive number) of one clause."""
    lexicon = _vader_lexicon()
    spans: list[tuple[int, float]] = []
    taken: list[tuple[int, int]] = []
    for pattern, weight in _domain_patterns():
        for match in pattern.finditer(clause):
            if any(a <= match.start() < b for a, b in taken):
                continue
            spans.append((match.start(), weight))
            taken.append((match.start(), match.end()))
    for match in _phrase_pattern().finditer(clause):
        if any(a <= match.start() < b for a, b in taken):
            continue
        spans.append((match.start(), _DOMAIN_LEXICON[match.group(0).lower()]))
        taken.append((match.start(), match.end()))
    tokens = list(_TOKEN.finditer(clause))
    words = [t.group(0).lower().replace("’", "'") for t in tokens]
    positive = negative = 0.0
    for i, token in enumerate(tokens):
        if any(a <= token.start() < b for a, b in taken):
            continue
        word = words[i]
        value = _DOMAIN_LEXICON.get(word, lexicon.get(word))
        if value is not None:
            spans.append((token.start(), value))
    for start, value in spans:
        index = next((i for i, t in enumerate(tokens) if t.start() >= start), len(tokens))
        if any(w in _NEGATORS or w.endswith("n't") for w in words[max(0, index - 3) : index]):
            value *= _NEGATION_SCALAR
        if value > 0:
            positive += value
        else:
            negative -= value
    return positive, negative


_LEADING_CONTRAST = re.compile(r"^\s*(?:while|although|though|whereas)\b[^,;]*,", re.IGNORECASE)


def _clauses(sentence: str, offset: int) -> list[tuple[int, int]]:
    bounds, last = [], 0
    # "While X is a strength, Y is a bottleneck": the leading clause ends at its comma
    leading = _LEADING_CONTRAST.match(sentence)
    if leading:
        bounds.append((offset, offset + leading.end() - 1))
        last = leading.end()
    for match in _CONTRAST.finditer(sentence, last):
        if match.start() > last:
            bounds.append((offset + last, offset + match.start()))
        last = match.end()
    if last < len(sentence):
        bounds.append((offset + last, offset + len(sentence)))
    return bounds


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


class TargetStance:
    """Stance toward one mention of a tool, given every tool mention of the text.

    ``threshold``: summed lexicon valence a clause needs to count as positive or
    negative (VADER's word valences run from -4 to +4).
    """

    def __init__(self, threshold: float = _THRESHOLD) -> None:
        self.threshold = threshold

    def stance(
        self, text: str, start: int, end: int, others: Sequence[tuple[int, int]] = ()
    ) -> tuple[str, float]:
        """(stance, net valence) toward the mention at ``text[start:end]``."""
        sentences = _sentences(text)
        here = next((i for i, (a, b) in enumerate(sentences) if a <= start < b), None)
        if here is None:
            return "neutral", 0.0
        a, b = sentences[here]
        sentence = text[a:b]
        rest = [(s, e) for s, e in others if (s, e) != (start, end)]
        compared = _comparison(text, a, b, start, end, rest)
        if compared is not None:
            return compared
        if _BUG_REPORT.search(text) and not _JUDGEMENT.search(sentence):
            return "neutral", 0.0
        if sentence.rstrip().endswith("?"):
            return self._question(sentence)
        scopes = []
        if not _says_nothing(sentence):
            scopes = [c for c in _clauses(sentence, a) if self._about_tool(text, c, start, rest)]
            more = _more_quality(text, b, start, rest)
            if more is not None:
                return more
        for na, nb in sentences[here + 1 : here + 4]:
            following = text[na:nb]
            if (
                not _CONTINUES.search(following)
                or any(na <= s < nb for s, _ in rest)
                or following.rstrip().endswith("?")
            ):
                break
            if not _says_nothing(following):
                scopes.extend(_clauses(following, na))
        decided = self._decide([_valences(text[c0:c1]) for c0, c1 in scopes])
        if decided[0] == "positive" and _COUNTERFACTUAL_PRAISE.search(sentence):
            return "mixed", decided[1]
        return decided

    def _question(self, sentence: str) -> tuple[str, float]:
        """A question is neutral unless it carries the field's criticism ("Do you want to
        sound average?" as a headline against the tool)."""
        criticism = sum(v for p, v in _DOMAIN_PATTERNS if v < 0 and re.search(p, sentence, re.I))
        criticism += sum(
            v
            for m in _phrase_pattern().finditer(sentence)
            if (v := _DOMAIN_LEXICON[m.group(0).lower()]) < 0
        )
        return ("negative", criticism) if -criticism >= self.threshold else ("neutral", 0.0)

    @staticmethod
    def _about_tool(
        text: str, clause: tuple[int, int], start: int, rest: Sequence[tuple[int, int]]
    ) -> bool:
        c0, c1 = clause
        if c0 <= start < c1:
            return True
        if any(c0 <= s < c1 for s, _ in rest):
            return False
        return _OWN_TARGET.match(text[c0:c1]) is None

    def _decide(self, clause_scores: list[tuple[float, float]]) -> tuple[str, float]:
        positive = [p - n for p, n in clause_scores if p - n >= self.threshold]
        negative = [p - n for p, n in clause_scores if n - p >= self.threshold]
        net = sum(p - n for p, n in clause_scores)
        if positive and negative:
            return "mixed", round(net, 4)
        if positive:
            return "positive", round(net, 4)
        if negative:
            return "negative", round(net, 4)
        return "neutral", round(net, 4)


def _says_nothing(sentence: str) -> bool:
    """Promotional, descriptive or list text, or a request, without a judgement."""
    if (_PROMO.search(sentence) or _LIST_ENTRY.search(sentence)) and not (
        _FIRST_PERSON_JUDGEMENT.search(sentence)
    ):
        return True
    return bool(_REQUEST.search(sentence)) and not _JUDGEMENT.search(sentence)


def _more_quality(
    text: str, b: int, start: int, rest: Sequence[tuple[int, int]]
) -> tuple[str, float] | None:
    """ "X had more punch and clarity": the tool before "more <quality>" gains (no "than")."""
    for match in _MORE_QUALITY.finditer(text, start, b):
        qualities = {match.group("quality").lower(), (match.group("second") or "").lower()}
        if not qualities & _QUALITIES or re.match(r"\s*than\b", text[match.end() : b]):
            continue
        if any(start < s < match.start() for s, _ in rest) or "than" in text[start:b].lower():
            return None
        return ("positive", 2.0) if match.group("word").lower() == "more" else ("negative", -2.0)
    return None


def _comparison(
    text: str, a: int, b: int, start: int, end: int, rest: Sequence[tuple[int, int]]
) -> tuple[str, float] | None:
    """Stance from "X is better than Y" when the mention is X or Y of the sentence."""
    for match in _COMPARATIVE.finditer(text, a, b):
        word = match.group("word").lower()
        quality = (match.group("quality") or "").lower()
        if quality and quality not in _QUALITIES:
            continue
        than = match.start("than")
        before = [s for s, _ in rest if a <= s < than]
        negated = any(
            w in _NEGATORS or w.endswith("n't")
            for w in text[max(a, match.start() - 20) : match.start()].lower().split()[-3:]
        )
        sign = -1.0 if word in _WORSE or "less" in word.split() else 1.0
        sign *= -1.0 if negated else 1.0
        if start < than:
            # "X is better than Y (or than my own master)", "prefer X over Y": X gains
            return ("positive", 2.0) if sign > 0 else ("negative", -2.0)
        if start >= than and before:
            return ("negative", -2.0) if sign > 0 else ("positive", 2.0)
    return None


def rule_stance(
    texts: Sequence[str],
    mentions: Sequence[Sequence[tuple[int, int]]],
    *,
    threshold: float = _THRESHOLD,
) -> list[list[tuple[str, float]]]:
    """For each text, (stance, net valence) for each of its mention spans."""
    model = TargetStance(threshold)
    return [
        [model.stance(text, s, e, spans) for s, e in spans]
        for text, spans in zip(texts, mentions, strict=True)
    ]
