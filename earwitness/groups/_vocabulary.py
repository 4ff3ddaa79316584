"""The vocabulary of user groups, declared once: the groups, and the words and patterns
that find and weigh what people say about themselves.

Everything here is data: word tables, regular-expression fragments, the table of
evidence patterns the collectors search every post and turn with
(:data:`EVIDENCE_PATTERNS`), and the table of weighted voting rules that turn an
author's evidence into a group (:data:`GROUP_RULES`). The two tables must not contradict
each other: the rules never vote evidence into another group than the one its pattern
suggests (tests/groups/test_engineer_talk.py checks every example sentence); where no
rule reads a suggestion, the collector's vote (weight 1) carries it. Widening the
vocabulary means adding words or rows here; the code that applies them lives in ``_evidence`` and
``_rules``.

The three groups follow Stebbins' amateur/professional continuum ("Amateurs,
Professionals, and Serious Leisure", 1992): amateurs do it for themselves, pro-ams hold
professional standards and are sometimes paid, professionals live from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from earwitness.store.schema import USER_GROUPS

__all__ = [
    "DAY_JOB_RULE",
    "EVIDENCE_KINDS",
    "EVIDENCE_PATTERNS",
    "GROUPS",
    "GROUP_RULES",
    "HYPOTHETICAL",
    "UNKNOWN",
    "USER_GROUPS",
    "EvidencePattern",
    "GroupRule",
]

# The column ``participants.user_group`` allows exactly these values (store.schema
# declares them for its CHECK constraint); the groups proper are all but "unknown".
UNKNOWN = "unknown"
GROUPS: tuple[str, ...] = tuple(g for g in USER_GROUPS if g != UNKNOWN)
EVIDENCE_KINDS = ("flair", "experience", "paid", "self")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- vocabulary of self-descriptions ---------------------------------------------------

AMATEUR_WORDS = _word_set(
    "hobbyist hobbyists hobby amateur amateurs bedroom beginner beginners novice novices "
    "newbie newbies noob noobs n00b weekend aspiring enthusiast enthusiasts"
)
PRO_AM_WORDS = _word_set(
    "semi-pro semipro semi-professional semi part-time part pro-am proam prosumer gigging"
)
# Students of a music or audio craft: learning, not yet paid (amateur in Stebbins' sense).
STUDENT_WORDS = _word_set("student students apprentice")
PROFESSIONAL_WORDS = _word_set(
    "professional professionals pro pros full-time full working freelance freelancer paid "
    "staff in-house commercial touring career veteran seasoned established"
)
STANDALONE_HEADS = _word_set(
    "hobbyist amateur beginner novice newbie noob n00b enthusiast professional pro "
    "semi-pro semipro prosumer pro-am freelancer"
)
# Role nouns that name a music-making role whatever modifies them.
MUSIC_HEADS = _word_set(
    "producer mixer masterer musician beatmaker composer songwriter guitarist bassist "
    "drummer keyboardist pianist singer vocalist rapper dj arranger recordist"
)
# Role nouns that are about audio only with an audio modifier ("software engineer" is not).
AUDIO_HEADS = _word_set("engineer tech technician editor designer student operator")
AUDIO_MODIFIERS = _word_set(
    "mix mixing mastering recording audio sound studio live foh tracking post "
    "post-production broadcast session music dialogue film game record"
)
FILLERS = _word_set(
    "a an the just only merely simply basically really still currently now also actually "
    "primarily mainly mostly more kind sort of purely definitely certainly honestly "
    "literally pretty very quite fairly total complete absolute humble lowly little "
    "time self-taught hip-hop hip hop edm electronic metal rock jazz pop indie "
    "independent home long-time longtime lifelong"
)
NEGATIONS = _word_set("not no never hardly nowhere near far from")
# Words after which a self-description may end: "I'm a hobbyist and ...", "... in Berlin".
ENDERS = _word_set(
    "and but so or in at for with from by of myself too here who that which since based "
    "like as though although because mostly"
)
# Product names that begin with "pro": "I'm a Pro Tools user" says nothing about the writer.
PRO_PRODUCTS = _word_set("tools q l c mb r ds g x")


# A flair or user title naming one of these words says "professional".
FLAIR_PROFESSIONAL_WORDS = _word_set("professional pro full-time freelance freelancer")


# --- regular-expression fragments ---------------------------------------------------------

_I = (
    r"\bI(?:\s+(?:just|only|mostly|mainly|primarily|also|actually|still|now|currently|"
    r"basically|really|finally|eventually|recently))?"
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


_OWN = (
    r"(?:run|own|operate|co-own|manage|opened|founded|set up|started)\s+"
    r"(?:an?|my(?:\s+own)?|our)\s+"
    r"(?:own\s+|small\s+|little\s+)?"
)
_PLACE = r"(?:studio|house|facility|business|company)\b"
_GIGS = (
    r"(?:(?:paid|paying|client|freelance)\s+"
    r"(?:work|gigs?|jobs?|sessions?|projects?|mix(?:es|ing)?|master(?:s|ing)?)|"
    # gigs of the craft are paid work: "a few recording gigs", "some DJ gigs"
    r"(?:recording|mixing|mastering|session|engineering|live sound|sound|studio|dj|"
    r"production)\s+gigs?)\b"
)
# "I've done", "I have done", "I did": the subject and its auxiliary
_I_HAVE = rf"{_I}(?:['’]ve|\s+have|['’]d|\s+had)?"
_DID = r"(?:do|did|take|took|have done|['’]ve done|get|got|take on)"
_AUDIO_FIELD = (
    r"(?:audio|music|recording|mastering|post[- ]production|broadcast|live sound|sound)"
    r"(?:\s+(?:industry|business|studio|house|facility|company|engineering))?\b"
)
_WORDS_0_3 = r"(?:\s+[\w'’]+){0,3}?"
_INDUSTRY = r"in (?:the )?(?:industry|audio|music|studio|business|game)"
_CRAFTS = r"(?:mixing|mastering|producing|recording|engineering|production)"
# "my discography is tiny": a modest record is not a credit
_MODEST = (
    r"\s+(?:is|are|['’]s|['’]re)\s+(?:\w+\s+)?(?:tiny|small|short|minimal|limited|modest|"
    r"non-?existent|empty|thin|nothing|zero|sparse)\b"
)
_ROLE = r"(?:engineer|producer|mixer|masterer|musician|composer|sound designer)"
_NEW_TO = (
    r"(?:mixing|mastering|producing|production|music production|audio|recording|"
    r"this|music|making music|engineering|the hobby)\b"
)

# What music work is, for the income patterns: "by performing", "from my beats"
_LIKE_ROLES = (
    "engineer producer mixer masterer musician dj composer songwriter beatmaker hobbyist "
    "amateur beginner guitarist drummer singer"
)
_MUSIC_WORK = (
    r"(?:perform|play|gig|teach|mix|master|record|produc|dj|compos|writ|session|music|busk|"
    r"beat|song|track|engineer)\w*"
)
# A music or audio word: "as a teacher" is a living elsewhere, "as a music teacher" is not
_MUSIC_ROLE_WORD = (
    r"(?:music|audio|mix|master|sound|record|produc|musician|engineer|compos|dj|studio|"
    r"session|guitar|piano|drum|vocal|singer|songwriter|beat)\w*\b"
)
# The crafts a student of music or audio learns: "a music composition class"
_CRAFT = (
    r"(?:music|audio|mix|master|sound|record|produc|engineer|compos|guitar|piano|drum|vocal|"
    r"sing|song|dj|theory|harmony|synth)"
)
# A sentence in which the writer teaches, or looks back: not the writer as a student now
_TEACHES = (
    r"\b(?:I\s+(?:\w+\s+)?(?:teach|taught|lecture|lectured|tutor|instruct|coach)|"
    r"my\s+(?:students|pupils)|I['’]?m\s+(?:a|an|the|their)\s+(?:[\w-]+\s+)?(?:teacher|lecturer|"
    r"tutor|instructor|professor)|when\s+I\s+was|back\s+(?:when|then)|years\s+ago|used\s+to|"
    r"students)\b"
)


@dataclass(frozen=True)
class EvidencePattern:
    """A pattern the collectors search text with, and words every match contains.

    ``needs``: one word of each group must occur in the case-folded text, a cheap
    pre-check before the pattern runs. ``first_person_sentence``: the match counts only
    in a sentence that speaks in the first person and not to "you". ``unless_sentence``:
    a sentence matching this pattern gives no evidence by this pattern (the writer
    teaches the class, it was long ago).
    """

    kind: str
    pattern: str
    group: str | None
    needs: tuple[tuple[str, ...], ...] = field(kw_only=True)
    first_person_sentence: bool = field(default=False, kw_only=True)
    unless_sentence: str = field(default="", kw_only=True)


EVIDENCE_PATTERNS: tuple[EvidencePattern, ...] = (
    # paid work
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:{_ACTIVITY}|do (?:audio|sound)\w*){_WORDS_0_3}\s+for a living\b",
        "professional",
        needs=(("for a living",),),
    ),
    EvidencePattern(
        "paid",
        r"\b(?:mixing|mastering|producing|recording|audio|music|engineering|music production|"
        r"audio engineering|sound design|live sound)\s+(?:is|has been|['’]s)\s+my\s+"
        r"(?:(?:day|full[- ]time|main|only)\s+)?(?:job|living|career|profession|income|"
        r"bread and butter)\b(?!\s+to\b)",
        "professional",
        needs=(("my",), ("job", "living", "career", "profession", "income", "bread and butter")),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:do|did|have done|['’]ve done)\s+(?:this|it|mixing|mastering|audio|music|"
        r"sound|production|engineering)\s+professionally\b",
        "professional",
        needs=(("professionally",),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I_HAVE}\s+(?:work|worked|used to work)\s+(?:professionally\s+)?(?:in|at)\s+"
        rf"(?:(?:an?\s+|the\s+)?{_AUDIO_FIELD}|(?:some\s+of\s+)?(?:the\s+)?"
        r"(?:professional|commercial|major|big|bigger|biggest|top|large|larger)\s+studios\b)",
        "professional",
        needs=(
            ("work",),
            ("audio", "music", "recording", "mastering", "post", "broadcast", "sound", "studios"),
        ),
    ),
    EvidencePattern(
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
    EvidencePattern(
        "paid",
        rf"{_I}\s+{_OWN}(?:mastering|mixing|post[- ]production)(?:\s+and\s+\w+)?\s+{_PLACE}",
        "professional",
        needs=(
            ("run", "own", "operate", "manage"),
            ("mastering", "mixing", "production"),
            ("studio", "house", "facility", "business", "company"),
        ),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}(?:\s+|(?=['’])){_DID}\s+(?:some|a bit of|a little|occasional|the occasional|a few|"
        rf"a handful of|a couple of)\s+{_GIGS}",
        "pro-am",
        needs=(("paid", "pay", "client", "freelance", "gig"),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}(?:\s+|(?=['’])){_DID}\s+(?:lots of\s+|a lot of\s+|plenty of\s+)?{_GIGS}",
        None,
        needs=(("paid", "pay", "client", "freelance", "gig"),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s*(?:(?:sometimes|occasionally)\s+)?(?:get|got|am|['’]m|was|have been|"
        r"['’]ve been|will get|['’]ll get|will be|['’]ll be)\s+(?:(?:sometimes|occasionally)\s+)?"
        r"paid\s+(?:to|for)\b",
        None,
        needs=(("paid",),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:{_ACTIVITY}|do (?:some|a bit of) (?:mixing|mastering|work|production))"
        rf"{_WORDS_0_3}\s+(?:on the side|as a side (?:gig|hustle|job|business))\b",
        "pro-am",
        needs=(("side",),),
    ),
    EvidencePattern(
        "paid", r"\bmy side (?:gig|hustle|job|business|income)\b", "pro-am", needs=(("my side ",),)
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:charge|bill)\s+(?:(?:my\s+)?(?:clients|people|artists|bands)\s+)?"
        r"(?:about\s+|around\s+)?[$€£]?\d",
        None,
        needs=(("charge", "bill"),),
    ),
    EvidencePattern(
        "paid",
        r"\bmy (?:paying |mix(?:ing)? |mastering |recording |studio )?clients\b",
        None,
        needs=(("my ",), ("clients",)),
    ),
    EvidencePattern(
        "paid",
        r"\bI\s+(?:don['’]t|do not|never|have never|['’]ve never)\s+(?:get paid|got paid|"
        r"been paid|do (?:this|it|music|mixing|mastering) (?:professionally|for a living|"
        r"for money)|make (?:any )?(?:money|a living))\b"
        r"(?!\s+(?:enough|much|well|a lot|nearly))",
        "amateur",
        needs=(("paid", "professionally", "living", "money"),),
    ),
    # how engineers describe paid work: clients, rates, credits, contract work, a studio
    EvidencePattern(
        "paid",
        rf"{_I_HAVE}\s+(?:have|had|get|got|work with|worked with|mix for|master for|record for)\s+"
        r"(?:(?:a few|some|many|lots of|a lot of|plenty of|regular|repeat|paying|my own|several|"
        r"a couple of|a handful of|more)\s+)?(?:\w+\s+)?clients\b|"
        # "I'd been mastering tracks for clients who were on a budget"
        rf"{_I_HAVE}(?:\s+been)?\s+(?:mix|master|record|produc|edit|engineer)\w*\s+"
        r"(?:[\w'’-]+\s+){0,3}?for\s+(?:my\s+|paying\s+|private\s+)?clients\b",
        None,
        needs=(("clients",),),
    ),
    EvidencePattern(
        "paid",
        r"\bmy\s+(?:hourly\s+|day\s+|usual\s+|standard\s+|mix(?:ing)?\s+|mastering\s+)?"
        r"(?:rates?|fees?)\b",
        None,
        needs=(("my ",), ("rate", "fee")),
    ),
    EvidencePattern(
        "paid",
        rf"\bmy\s+(?:discography|credits)\b(?!{_MODEST})|"
        rf"{_I}(?:['’]ve| have|\s+got to)\s+(?:mixed|mastered|engineered|produced|recorded|"
        r"worked on|work on)"
        r"\s+(?:[\w'’-]+\s+){0,3}?(?:records|albums|releases|eps|singles)\s+(?:for|by|with)\b",
        "professional",
        needs=(("credits", "discography", "records", "albums", "releases", "eps", "singles"),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:do|did|take|took|have done|['’]ve done|get|got)\s+"
        r"(?:some\s+|a lot of\s+|lots of\s+|mostly\s+)?(?:contract|session|for[- ]hire)\s+"
        r"(?:mixing|mastering|work|engineering|gigs?|jobs?)\b",
        "professional",
        needs=(("contract", "session", "hire"),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:run|own|operate|co-own|built|opened|founded|set up)\s+(?:a|my own|my|our)\s+"
        r"(?:(?:small|little|commercial|professional|recording|mixing|mastering|music|"
        r"production)\s+){0,2}studio\b"
        r"(?!\s+(?:at|in) (?:home|my (?:bedroom|house|flat|apartment)))",
        None,
        needs=(("studio",), ("run", "own", "operate", "built", "opened", "founded", "set up")),
    ),
    EvidencePattern(
        "paid",
        r"\b(?:mixing|mastering|engineering|audio|music|it|this|production)\s+"
        r"pays?\s+(?:my|the)\s+(?:bills|rent|mortgage)\b",
        "professional",
        first_person_sentence=True,
        needs=(("pay",), ("bills", "rent", "mortgage")),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:make|earn)\s+(?:a|my)\s+(?:full[- ]time\s+)?(?:living|income)\s+"
        r"(?:from|with|by|in|off|doing|mixing|mastering|producing|recording|engineering|"
        rf"making (?:music|beats)|as an?\s+(?:[\w-]+\s+){{0,3}}?{_ROLE})\b",
        "professional",
        needs=(("living", "income"),),
    ),
    # a career: "I've had a fairly successful career as a mastering engineer"
    EvidencePattern(
        "paid",
        rf"(?:{_I}(?:['’]ve|\s+have|\s+had|\s+have had)?\s+(?:had|have|built|made|enjoyed)\s+"
        r"an?|\bmy)\s+(?:[\w-]+\s+){0,3}?career\s+(?:as\s+an?\s+(?:[\w-]+\s+){0,3}?"
        rf"{_ROLE}|in\s+{_AUDIO_FIELD})",
        "professional",
        needs=(("career",),),
    ),
    # a second or side income: paid, but not a living
    EvidencePattern(
        "paid",
        r"\b(?:my|a|as an?|some|provides?|gives?|brings?)\s+(?:me\s+)?"
        r"(?:little\s+|small\s+|nice\s+)?"
        r"(?:second(?:ary)?|side|extra)\s+(?:income|money|cash)\b|"
        r"\b(?:my|a|as an?)\s+(?:little\s+|small\s+|nice\s+)?second\s+(?:job|gig)\b|"
        r"\b(?:my|as an?)\s+(?:little\s+|small\s+|nice\s+)?side\s+(?:job|gig)\b",
        "pro-am",
        first_person_sentence=True,
        needs=(("second", "side", "extra"), ("income", "money", "cash", "job", "gig")),
    ),
    # students of the craft
    EvidencePattern(
        "self",
        r"\bI['’]?m\s+(?:(?:currently|still|just|now|also)\s+)?"
        r"(?!(?:teaching|tutoring|mentoring|helping|training|working|talking|not|no)\b)"
        r"(?:a\s+|an\s+)?(?:[\w-]+\s+){0,3}?student\b|"
        r"\bI(?:['’]m|\s+am)?\s+(?:currently\s+|now\s+)?(?:study|studying)\s+(?:[\w-]+\s+){0,2}?"
        r"(?:audio|music|sound|recording|mixing|mastering|production)\b",
        "amateur",
        needs=(("student", "study", "studying"),),
    ),
    # a hobby, however it is said, in a sentence about the writer
    EvidencePattern(
        "self",
        r"\b(?:as|for)\s+a\s+(?:[\w-]+\s+)?hobby\b|\ba\s+hobby\s+for\s+me\b|"
        r"\bmy\s+(?!other\b)(?:[\w-]+\s+)?hobby\b"
        r"(?!\s+(?:that|which)\s+(?:\w+\s+)?(?:makes|earns|pays))",
        "amateur",
        first_person_sentence=True,
        needs=(("hobby",),),
    ),
    # releases of one's own on labels: serious, not (yet) a living
    EvidencePattern(
        "paid",
        rf"{_I}(?:['’]ve|\s+have)?\s+(?:released|put out|had)\s+(?:[\w-]+\s+){{0,3}}?"
        r"(?:releases|records|eps|singles|albums|tracks)\s+(?:on|through|with|via)\s+"
        r"(?:[\w-]+\s+){0,3}?labels?\b",
        "pro-am",
        needs=(("label",),),
    ),
    # hobby
    EvidencePattern(
        "self",
        r"(?<!\bif )\b(?:it['’]s|it is|this is|that['’]s|music is|mixing is|mastering is|"
        r"producing is|"
        r"production is|music production is)\s+(?:just\s+|only\s+|purely\s+|merely\s+|"
        r"still\s+)?(?:a|my)\s+hobby\b",
        "amateur",
        first_person_sentence=True,
        needs=(("hobby",),),
    ),
    EvidencePattern(
        "self",
        rf"{_I}(?:['’]m|\s+am)?\s+(?:{_ACTIVITY}|make music|making music){_WORDS_0_3}\s+"
        r"(?:as a hobby|for fun|just for fun|for myself|"
        r"for me(?:\s+and\s+only\s+me)?(?=\s*[.,;!]))",
        "amateur",
        needs=(("hobby", "for fun", "for myself", "for me"),),
    ),
    # --- issue 22 §4: how forum authors really describe themselves ---------------------
    # income from music beside other work: "I supplement my income by performing"
    EvidencePattern(
        "paid",
        r"\bI\s+(?:\w+\s+)?supplement(?:ed|s)?\s+my\s+income\s+(?:by|with|through|from)\s+"
        rf"(?:[\w'’-]+\s+){{0,2}}?{_MUSIC_WORK}|"
        r"\b(?:mixing|mastering|music|gigging|gigs|performing|recording|production|djing)\s+"
        r"supplements?\s+my\s+income\b",
        "pro-am",
        first_person_sentence=True,
        needs=(("supplement",),),
    ),
    # "the more money I make from that stuff", "I make some money from my beats"
    EvidencePattern(
        "paid",
        r"\bmoney\s+I\s+(?:make|earn|get)\s+(?:from|with|off|doing)\s+"
        rf"(?:(?:it|this|that)(?:\s+stuff)?\b|(?:[\w'’-]+\s+){{0,2}}?{_MUSIC_WORK})|"
        rf"{_I}\s+(?:make|earn|get)\s+(?:some|a little|a bit of|extra|a little bit of)\s+"
        r"(?:extra\s+)?(?:money|cash|income)\s+(?:from|with|off|doing|by)\s+"
        rf"(?:[\w'’-]+\s+){{0,2}}?{_MUSIC_WORK}",
        "pro-am",
        first_person_sentence=True,
        needs=(("money", "cash", "income"),),
    ),
    # a living from other work: "my day job", "working another job", "I make my bread and
    # butter as a teacher" (the day-job rule makes professional votes pro-am: paid, but
    # not a living); "quit my day job" is kept in the quote so the rule can tell
    EvidencePattern(
        "paid",
        r"(?:\b(?:quit|quitting|left|leaving|leave|lost|losing|without|no\s+longer\s+have|"
        r"don['’]t\s+(?:have|need)|do\s+not\s+(?:have|need)|never\s+had)\s+(?:all\s+(?:of\s+)?)?)?"
        r"\b(?:my|a)\s+(?:regular\s+|normal\s+|full[- ]time\s+|boring\s+)?day[- ]jobs?\b"
        # "my day job is mixing records", "my day job as a mastering engineer": music's
        rf"(?!\s+(?:is|as|at)\s+(?:an?\s+)?(?:[\w-]+\s+){{0,2}}?{_MUSIC_ROLE_WORD})|"
        r"\b(?:work|working|have|having|hold|holding|keep|keeping)\s+(?:another|a\s+regular|"
        r"a\s+normal|a\s+real|a\s+proper|an\s+office|a\s+9[- ]to[- ]5|a\s+nine[- ]to[- ]five)"
        r"\s+job\b",
        None,
        first_person_sentence=True,
        needs=(("job",),),
    ),
    EvidencePattern(
        "paid",
        rf"{_I}\s+(?:make|earn)\s+(?:my|a)\s+(?:living|bread and butter|money|income|crust)\s+"
        r"(?:as\s+an?|by\s+working\s+as\s+an?)\s+"
        rf"(?!(?:[\w-]+\s+){{0,3}}?{_MUSIC_ROLE_WORD})(?:[\w-]+\s+){{0,2}}[\w-]+",
        None,
        needs=(("living", "bread and butter", "money", "income", "crust"),),
    ),
    # leaving other work for music: "I quit my job ... to focus solely on music"
    EvidencePattern(
        "paid",
        r"(?:\bI\s+(?:(?:finally|eventually|recently|just|then|later)\s+)?(?:quit|left|gave\s+up)|"
        r"\bI\s+was\s+(?:\w+\s+){0,2}?able\s+to\s+(?:\w+\s+){0,2}?(?:quit(?:ting)?|leav(?:e|ing)))"
        r"\s+(?:all\s+(?:of\s+)?)?my\s+(?:day\s+|full[- ]time\s+|regular\s+|office\s+)?jobs?\b"
        r"[^.!?]{0,60}?\b(?:to|and)\s+(?:\w+\s+){0,2}?(?:focus|become|go|concentrate|do|pursue|"
        r"make|play|work)\b[^.!?]{0,40}?\b(?:music|musician|full[- ]time|mixing|mastering|"
        r"producing|production|audio)\b",
        "professional",
        needs=(("quit", "left", "leav", "gave up"), ("job",)),
    ),
    # a music business of one's own: "my DJ business", "my music business"
    EvidencePattern(
        "paid",
        r"\bmy\s+(?:own\s+)?(?:music|dj|recording|mixing|mastering|production|studio|audio|"
        r"beat|session|sound)\s+business\b",
        "professional",
        needs=(("business",),),
    ),
    # learning the craft: "I made the decision to learn how to do all of the mixing myself"
    EvidencePattern(
        "experience",
        rf"{_I}(?:['’]m|\s+am)?\s+(?:(?:still|currently|now)\s+)?(?:learning|"
        r"(?:decided|made\s+the\s+decision|trying)\s+to\s+learn)\s+(?:how\s+)?to\s+"
        r"(?:[\w-]+,?\s+){0,6}?(?:mix|master|produc|record)\w*",
        "amateur",
        needs=(("learn",),),
    ),
    # working as a contractor or freelancer on audio work
    EvidencePattern(
        "paid",
        rf"{_I_HAVE}(?:\s+been)?\s+(?:work|worked|working)\s+as\s+an?\s+(?:independent\s+|"
        r"freelance\s+)?(?:contractor|freelancer|hired\s+gun)\s+(?:for|on|doing|in)\s+"
        r"(?:[\w-]+\s+){0,3}?(?:recording|mixing|mastering|editing|audio|sound|music|production|"
        r"post)\w*",
        "professional",
        needs=(("contractor", "freelancer", "hired gun"),),
    ),
    # one's own releases on labels: "the labels that I appear on most frequently"
    EvidencePattern(
        "paid",
        r"\blabels?\s+(?:that|which)\s+I\s+(?:\w+\s+)?(?:appear|release|put\s+out|am\s+signed|"
        r"['’]m\s+signed|have\s+released|['’]ve\s+released)\b",
        "pro-am",
        needs=(("label",),),
    ),
    # a hobby that pays: "We have a hobby that makes us enough to qualify as a business"
    EvidencePattern(
        "paid",
        r"\bhobby\s+(?:that|which)\s+(?:\w+\s+)?(?:makes|made|earns|earned|pays|brings\s+in)"
        r"\s+(?:me|us)\b",
        "pro-am",
        needs=(("hobby",),),
    ),
    # years in the business: "it took me about 30+ years in the business"
    EvidencePattern(
        "experience",
        r"\b(?:I['’]ve\s+(?:been|spent|had|worked)|I\s+(?:have\s+)?(?:been|spent|had|worked)|"
        r"(?:took|takes|taken)\s+me|my)\s+(?:[\w-]+\s+){0,2}?"
        rf"{_ABOUT}{_NUMBER_WORDS}\s*(?:-\s*)?(?:years?|yrs?|decades?)(?:\s*\+)?\s+(?:of\s+)?"
        r"(?:working\s+)?in\s+(?:the\s+)?(?:(?:music|audio|recording|record|mastering|studio|"
        r"entertainment|film|post[- ]production|broadcast)\s+)?(?:business|industry)\b",
        None,
        needs=(("business", "industry"), ("year", "yr", "decade")),
    ),
    # counting oneself among a group: "Like a number of other mix engineers, I offer ..."
    EvidencePattern(
        "self",
        r"(?<![\w-])Like\s+(?:so\s+)?(?:many|most|other|all|a\s+lot\s+of|lots\s+of|plenty\s+of|"
        r"a\s+number\s+of|fellow|some)\s+(?:other\s+|fellow\s+)?(?:[\w-]+\s+){0,2}?"
        r"(?:engineer|producer|mixer|masterer|musician|dj|composer|songwriter|beatmaker|"
        r"hobbyist|amateur|beginner|guitarist|drummer|singer)s\s*,?\s+I\b",
        None,
        needs=(("like",), tuple(_LIKE_ROLES.split())),
    ),
    # students of the craft, by their teachers and classes: "our lecturer", "my tutor said"
    EvidencePattern(
        "self",
        r"\b(?:my|our)\s+(?:(?:music|audio|mixing|production|course|class|college|uni|"
        r"university|module)\s+)?(?:lecturers?|tutors?|instructors?|professors?|classmates?|"
        r"course-?mates?|fellow\s+students)\b|"
        r"\bas\s+part\s+of\s+(?:my|our)\s+(?:[\w-]+\s+){0,2}?(?:class|course|degree|module|"
        r"coursework)\b|\bothers\s+in\s+(?:my|our)\s+class\b",
        "amateur",
        needs=(
            ("my ", "our "),
            (
                "lecturer",
                "tutor",
                "instructor",
                "professor",
                "classmate",
                "course",
                "class",
                "degree",
                "module",
                "fellow students",
            ),
        ),
        unless_sentence=_TEACHES,
    ),
    EvidencePattern(
        "self",
        rf"{_I}(?:['’]m|\s+am|['’]ve\s+been|\s+have\s+been)\s+(?:currently\s+|now\s+)?"
        r"(?:taking|doing|enrolled\s+in|attending)\s+(?:an?\s+|some\s+)?(?:[\w-]+\s+){0,2}?"
        rf"{_CRAFT}\w*\s+(?:[\w-]+\s+){{0,2}}?(?:classes|class|courses?|lessons|degree|diploma)\b",
        "amateur",
        needs=(
            ("taking", "doing", "enrolled", "attending"),
            ("class", "course", "lesson", "degree", "diploma"),
        ),
        unless_sentence=_TEACHES,
    ),
    # music for oneself only, in spare time, as a side project
    EvidencePattern(
        "self",
        rf"{_I}\s+only\s+(?:mix|master|record|produce|work\s+on)\s+my\s+own\b|"
        r"\bI['’]?m\s+(?:more\s+|only\s+|just\s+|mostly\s+)?interested\s+in\s+(?:making\s+|"
        r"recording\s+|mixing\s+)?my\s+own\s+(?:music|songs|tracks|stuff)\b",
        "amateur",
        needs=(("my own",),),
    ),
    EvidencePattern(
        "self",
        r"\b(?:in|during)\s+my\s+(?:spare|free|leisure)\s+time\b",
        "amateur",
        first_person_sentence=True,
        needs=(("spare time", "free time", "leisure time"),),
    ),
    EvidencePattern(
        "self",
        r"\b(?:mixing|mastering|music|producing|production|recording|this|it)\s+(?:is|['’]s)\s+"
        r"(?:just\s+|only\s+|more\s+of\s+|still\s+)?(?:a|my)\s+(?:[\w-]+\s+)?side[- ]?project\b",
        "amateur",
        first_person_sentence=True,
        needs=(("project",), ("side",)),
    ),
    # experience
    EvidencePattern(
        "experience",
        rf"\bI(?:['’]ve| have)(?:\s+(?:only|just|also|actually))?\s+been\s+{_ACTIVITY}"
        rf"(?:\s+[\w'’]+){{0,4}}?\s+(?:for|since|over)\s+{_ABOUT}{_DURATION}",
        None,
        needs=(("been",), ("year", "yr", "decade", "month", "week", "19", "20")),
    ),
    EvidencePattern(
        "experience",
        rf"\bI(?:['’]ve| have)(?:\s+(?:got|had))?\s+{_ABOUT}{_DURATION}\s+(?:of\s+)?"
        rf"(?:(?:professional\s+)?experience|{_INDUSTRY}|(?:of\s+)?{_CRAFTS}(?:\s+experience)?)\b",
        None,
        needs=(("ve",), ("year", "yr", "decade", "month", "week", "19", "20")),
    ),
    EvidencePattern(
        "experience",
        rf"\bI\s+(?:started|began)\s+{_ACTIVITY}{_WORDS_0_3}\s+(?:(?:back\s+)?in\s+(?:19|20)\d\d|"
        rf"{_ABOUT}{_NUMBER_WORDS}\s*(?:years?|decades?|months?)\s+ago)\b",
        None,
        needs=(("started", "began"),),
    ),
    EvidencePattern(
        "experience",
        rf"\b(?:after|with)\s+{_ABOUT}{_NUMBER_WORDS}\s*(?:years?|decades?)\s+(?:of\s+)?"
        rf"(?:experience|{_CRAFTS}|in the (?:industry|business))\b",
        None,
        first_person_sentence=True,
        needs=(("after", "with"), ("year", "decade")),
    ),
    EvidencePattern(
        "experience",
        rf"\bI(?:['’]ve| have)?\s+(?:only\s+)?(?:just|recently)\s+"
        rf"(?:started|begun|began|got into|gotten into)\s+"
        rf"(?:{_ACTIVITY}|learning(?:\s+(?:to|how to))?\s+\w+)",
        "amateur",
        needs=(("just", "recently"), ("start", "begun", "began", "got")),
    ),
    EvidencePattern(
        "experience",
        r"\bI['’]?m\s+(?:(?:still|fairly|pretty|very|quite|relatively|totally|completely|"
        rf"really|super|brand)\s+)*new\s+to\s+{_NEW_TO}",
        "amateur",
        needs=(("new",),),
    ),
    EvidencePattern(
        "experience",
        r"\bI['’]?m\s+(?:(?:just|only|still|really)\s+)?starting out\b|"
        rf"{_I}\s+(?:just|only|recently)\s+started out\b",
        "amateur",
        needs=(("starting out", "started out"),),
    ),
)


# Words that make what follows a role played, not the writer: "let's say I'm a mastering
# engineer", "if I were a pro", "imagine I'm a hobbyist", persona prompts.
HYPOTHETICAL = re.compile(
    r"\b(?:let['’]?s\s+say|say\s+(?=I\b)|suppose|supposing|imagine|pretend(?:ing)?|"
    r"if\s+I\s+(?:were|was)|were\s+I|hypothetically|role[- ]?play(?:ing)?|act(?:ing)?\s+as|"
    r"playing\s+the\s+(?:role|part)|persona|in\s+character)\b",
    re.IGNORECASE,
)


# --- weighted voting rules ---------------------------------------------------------------

# Five years or more: "30+ years", "forty years", "decades"
_MANY_YEARS = (
    r"(?:\b(?:[5-9]|[1-9]\d)\s*\+?\s*(?:-\s*)?(?:years?|yrs?)|\b(?:five|six|seven|eight|nine|ten"
    r"|eleven|twelve|fifteen|twenty|thirty|forty|fifty)\s+(?:years?|yrs?)|\bdecades?)\b"
)
# The rule whose votes make an author's professional votes pro-am (``_rules``)
DAY_JOB_RULE = "day-job"

NEGATION = re.compile(r"\b(?:not|never|no longer|no|isn't|am not|ain't|aren't)\W+(?:\w+\W+){0,2}$")


@dataclass(frozen=True)
class GroupRule:
    """A named pattern that, found in an author's self-description, votes for a group."""

    name: str
    group: str
    pattern: str
    weight: float
    kinds: tuple[str, ...] = ()  # evidence kinds it reads; empty means all
    negatable: bool = True
    unless: str = ""  # a quote matching this pattern gets no vote from the rule

    def matches(self, kind: str, quote: str) -> list[tuple[int, int]]:
        if self.kinds and kind not in self.kinds:
            return []
        if self.unless and re.search(self.unless, quote, flags=re.IGNORECASE):
            return []
        found = []
        for match in re.finditer(self.pattern, quote, flags=re.IGNORECASE):
            if self.negatable and NEGATION.search(
                quote[max(0, match.start() - 25) : match.start()]
            ):
                continue
            found.append((match.start(), match.end()))
        return found


GROUP_RULES: tuple[GroupRule, ...] = (
    GroupRule(
        "for-a-living",
        "professional",
        r"\b(?:for a living|full[- ]time (?:mix|master|audio|engineer)\w*"
        r"|(?:my|paying) (?:paying |mix(?:ing)? |mastering |recording |studio )?clients"
        r"|professional (?:mix|master)\w* engineer|(?:run|own) (?:a|my) (?:\w+ )?studio"
        r"|(?:mix|master)\w* (?:is|as) my (?:job|day job|profession))\b",
        3.0,
    ),
    GroupRule(
        "credits",
        "professional",
        r"\b(?:grammy|platinum record|major[- ]label|my (?:credits|discography)"
        rf"(?!{_MODEST})"
        r"|(?:mixed|mastered|engineered|produced|recorded|worked on|work on) (?:[\w'’-]+ ){0,3}?"
        r"(?:records|albums|releases|eps|singles) (?:for|by|with))\b",
        2.0,
    ),
    GroupRule(
        "clients-fees",
        "professional",
        r"\b(?:(?:have|had|get|got|work with|worked with|mix for|master for|record for) "
        r"(?:(?:many|lots of|a lot of|plenty of|regular|repeat|paying|my own|several) )?"
        r"(?:\w+ )?clients"
        r"|my (?:hourly |day |usual |standard |mix(?:ing)? |mastering )?(?:rates?|fees?)"
        r"|I (?:charge|bill)\b"
        r"|(?:contract|session|for[- ]hire) (?:mixing|mastering|work|engineering|gigs?|jobs?)"
        r"|pays? (?:my|the) (?:bills|rent|mortgage)|(?:make|earn) (?:a|my) (?:full[- ]time )?"
        r"(?:living|income)"
        r"|(?:run|own|operate|co-own|built|opened|founded|set up) (?:a|my own|my|our) "
        r"(?:[\w-]+ ){0,2}(?:studio|facility)"
        r"|for (?:my |paying |private )?clients|(?:contractor|freelancer) (?:for|on|doing|in)"
        r"|my (?:own )?(?:music|dj|recording|mixing|mastering|production|studio|audio|beat"
        r"|session|sound) business"
        r"|career (?:as|in)\b)\b",
        2.0,
        unless=r"\b(?:a few|some|occasional|a couple of|a handful of|semi[- ]?pro|part[- ]time"
        r"|side|second(?:ary)? income|hope|want|dream|aspir\w*|pursue|someday|one day)\b"
        r"|\bhome studio\b",
    ),
    GroupRule(
        "occupation",
        "professional",
        r"\b(?:(?:mastering|mix(?:ing)?|recording|audio|sound|studio|live sound|foh|session"
        r"|tracking|post[- ]production|broadcast) (?:engineer|technician|tech)s?|record producers?"
        r"|(?:mastering|mix) engineers?|producer/engineer|engineer/producer)\b",
        2.0,
        kinds=("self",),
        unless=r"\b(?:aspiring|wannabe|student|hobby\w*|amateur|beginner|novice|bedroom|home"
        r"|semi[- ]?pro\w*|part[- ]time|learning|future|want to be|wanna be|trainee|intern)\b",
    ),
    GroupRule(
        "flair-professional",
        "professional",
        r"\b(?:professional|pro (?:engineer|mixer)|mastering engineer|mix(?:ing)? engineer)\b",
        2.0,
        kinds=("flair",),
    ),
    GroupRule(
        "semi-pro",
        "pro-am",
        r"\b(?:semi[- ]?pro|side (?:hustle|gig|job|income)|part[- ]time"
        r"|some paid (?:work|gigs|jobs)|occasionally (?:get )?paid|a few (?:paying )?clients"
        r"|paid gigs?|get paid sometimes|second(?:ary)? income|side (?:money|cash)"
        r"|releases? (?:on|through|with|via) (?:[\w-]+ ){0,3}?labels?"
        r"|(?:get|got|am|was|['’]m) (?:sometimes )?paid (?:to|for)"
        r"|supplement\w* my income|money I (?:make|earn|get) (?:from|with|off|doing)"
        r"|(?:make|earn|get) (?:some|a little|a bit of|extra|a little bit of) (?:extra )?"
        r"(?:money|cash|income)|extra (?:money|income|cash)|labels? (?:that|which) I"
        r"|hobby (?:that|which) (?:\w+ )?(?:makes|made|earns|earned|pays|brings in) (?:me|us)"
        r"|(?:a few|some|occasional|a couple of|a handful of) (?:recording|mixing|mastering"
        r"|session|engineering|live sound|sound|studio|dj|production) gigs?)\b",
        2.0,
    ),
    GroupRule(
        "hobbyist",
        "amateur",
        r"\b(?:hobby(?:ist)?s?|bedroom (?:producer|recordist|musician|mixer|artist)s?"
        r"|just for fun|beginner|newbie|noob"
        r"|never been paid|not a pro(?:fessional)?|for fun|starting out|started out"
        r"|student|studying|apprentice|(?:spare|free|leisure) time|side[- ]?project"
        r"|(?:lecturer|tutor|instructor|professor|classmate|course-?mate)s?|fellow students"
        r"|part of (?:my|our) (?:[\w-]+ ){0,2}?(?:class|course|degree|module|coursework)"
        r"|others in (?:my|our) class|(?:taking|doing|enrolled in|attending) (?:an? |some )?"
        r"(?:[\w-]+ ){0,3}?(?:classes|class|courses?|lessons|degree|diploma))\b",
        2.0,
        negatable=False,
        unless=r"\bhobby (?:that|which) (?:\w+ )?(?:makes|made|earns|earned|pays|brings)",
    ),
    # a living from other work: amateur unless the author is paid for music too, and then
    # their professional votes count as pro-am (``_rules``: paid, but not a living)
    GroupRule(
        DAY_JOB_RULE,
        "amateur",
        r"\b(?:day[- ]jobs?|(?:another|regular|normal|real|proper|office|9[- ]to[- ]5"
        r"|nine[- ]to[- ]five) job|(?:make|earn) (?:my|a) (?:living|bread and butter|money"
        r"|income|crust) (?:as|by working as) (?:an? )?"
        rf"(?!(?:[\w-]+ ){{0,3}}?{_MUSIC_ROLE_WORD}))",
        1.0,
        kinds=("paid",),
        negatable=False,
        unless=r"\b(?:quit|quitting|left|leaving|leave|lost|losing|is|['’]s|has been|without"
        r"|longer|don['’]t|not|never)\b",
    ),
    GroupRule(
        "quit-job",
        "professional",
        r"\b(?:quit|quitting|left|leaving|leave|gave up)\b.*\bjobs?\b.*\b(?:music|musician"
        r"|full[- ]time|mixing|mastering|producing|production|audio)\b",
        2.0,
        kinds=("paid",),
        unless=r"\b(?:want|wanted|hope|hoping|dream|plan|planning|someday|one day|wish|would)\b",
    ),
    GroupRule(
        "industry-years",
        "professional",
        rf"{_MANY_YEARS}.{{0,40}}?\b(?:business|industry)\b"
        rf"|\b(?:business|industry)\b.{{0,40}}?{_MANY_YEARS}",
        2.0,
        kinds=("experience",),
    ),
    GroupRule(
        "novice-years",
        "amateur",
        r"\b(?:[0-2]|one|two|a couple of|a few)\s+(?:years?|months?)\s+(?:of\s+)?"
        r"(?:experience|producing|mixing|making music)"
        r"|\blearn(?:ing)? (?:how )?to (?:[\w-]+,? ){0,6}?(?:mix|master|produc|record)",
        1.0,
        negatable=False,
    ),
)
