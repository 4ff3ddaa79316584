"""SIMULATED forum talk for the demo: made-up authors discussing the FICTIONAL services.

Written as a Pushshift-layout comment dump (``.ndjson.zst``) so that the demo collects it with
`earwitness collect dump` like real data. Each author describes themselves once (so user-group
evidence has something to find), then talks about the services; how positive each group is
about each service is set in :data:`FICTIONAL_SERVICES` and drawn with a seeded generator.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from earwitness.demo._services import FICTIONAL_SERVICES

__all__ = ["write_codings", "write_dump"]

SELF = {
    "amateur": ["Just a hobbyist here, making beats in my bedroom.",
                "I'm a hobbyist producer, music is my weekend thing.",
                "Total beginner here, I'm an amateur with a laptop and headphones."],
    "pro-am": ["I do some paid mixing on the side for local bands.",
               "I'm a semi-pro engineer, a few paid mixes a month.",
               "Part-time engineer here, I get paid for the odd mix."],
    "professional": ["I'm a professional mastering engineer.",
                     "I master for a living, full-time, for 15 years now.",
                     "Full-time mastering engineer here."],
}  # fmt: skip
POSITIVE = [
    "{s} made my track loud and clear in minutes, really happy with it.",
    "Honestly {s} is great value, the master sounded polished and balanced.",
    "I love how {s} handled the low end, clean and punchy.",
    "{s} is a good starting point and it saved me a lot of time.",
]
NEGATIVE = [
    "{s} crushed the transients and the master sounded harsh and flat.",
    "I hate what {s} did to the vocals, way too bright and squashed.",
    "{s} gave me a muddy, lifeless master, terrible for acoustic stuff.",
    "Tried {s} again, still awful: pumping and distorted on the drops.",
]
REQUESTS = {
    "amateur": ["I wish {s} let me upload a reference track to match.",
                "If {s} would just explain what it did, I could learn from it."],
    "pro-am": ["I wish {s} let me upload a reference track to match.",
               "{s} should show me the EQ curve it applied."],
    "professional": ["{s} should show me the EQ curve it applied.",
                     "{s} needs stem mastering, one stereo file is not enough."],
}  # fmt: skip
# phrase in a comment -> code path of the starter codebook (SIMULATED coding by "ana")
PHRASES = {
    "loud and clear": "Perceived quality/Release-ready result",
    "polished and balanced": "Perceived quality/Release-ready result",
    "clean and punchy": "Perceived quality/Release-ready result",
    "crushed the transients": "Perceived quality/Audible artefacts",
    "too bright and squashed": "Perceived quality/Audible artefacts",
    "muddy, lifeless master": "Perceived quality/Audible artefacts",
    "pumping and distorted": "Perceived quality/Audible artefacts",
    "in minutes": "Workflow integration/Speed and convenience",
    "saved me a lot of time": "Workflow integration/Speed and convenience",
    "great value": "Cost/Affordability",
    "good starting point": "Control and transparency/Adjustable starting point",
    "terrible for acoustic stuff": "Genre fit/Genre mismatch",
    "upload a reference track": "Requested functionality/Reference track matching",
    "explain what it did": "Requested functionality/Explanations of processing",
    "show me the EQ curve": "Requested functionality/Explanations of processing",
    "needs stem mastering": "Requested functionality/Stem and mix assistance",
}
GROUP_SIZES = {"amateur": 14, "pro-am": 10, "professional": 10}
START = 1_735_689_600  # 2025-01-01 UTC
DAY = 86_400


def _comments(seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for group, size in GROUP_SIZES.items():
        for person in range(size):
            author = f"sim_{group.replace('-', '')}_{person:02d}"
            thread = f"t3_simthread{person % 6}"
            time = START + int(rng.integers(0, 30)) * DAY
            rows.append(_row(len(rows), author, SELF[group][person % 3], thread, time))
            for index in rng.choice(len(FICTIONAL_SERVICES), size=3, replace=False):
                service = FICTIONAL_SERVICES[int(index)]
                alias = service.aliases[int(rng.integers(0, len(service.aliases)))]
                liked = rng.random() < service.liking[group]
                template = (POSITIVE if liked else NEGATIVE)[int(rng.integers(0, 4))]
                time += int(rng.integers(20, 120)) * DAY
                rows.append(_row(len(rows), author, template.format(s=alias), thread, time))
            if rng.random() < 0.7:
                service = FICTIONAL_SERVICES[int(rng.integers(0, len(FICTIONAL_SERVICES)))]
                request = REQUESTS[group][int(rng.integers(0, 2))].format(s=service.name)
                time += int(rng.integers(5, 60)) * DAY
                rows.append(_row(len(rows), author, request, thread, time))
    return rows


def _row(number: int, author: str, body: str, thread: str, created: int) -> dict[str, object]:
    return {
        "id": f"sim{number:04d}",
        "author": author,
        "body": f"{body} [SIMULATED]",
        "subreddit": "mixingmastering",
        "link_id": thread,
        "parent_id": thread,
        "created_utc": created,
        "score": 1 + (7 * number) % 23,
        "retrieved_on": START + 400 * DAY,
        "author_flair_text": None,
        "simulated": True,
    }


def write_dump(path: Path, seed: int = 0) -> Path:
    """Write the SIMULATED comments as a zstd-compressed NDJSON dump; return its path."""
    import zstandard

    payload = "".join(json.dumps(row) + "\n" for row in _comments(seed)).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zstandard.ZstdCompressor(level=10).compress(payload))
    return path


def write_codings(path: Path, seed: int = 0) -> Path:
    """SIMULATED codings of the posts by the illustrative coder ``ana``, found by phrase, in
    the CSV layout of `earwitness code import-codings` (documents as reddit:t1_ID)."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "coder", "start", "end", "text", "memo"])
        for row in _comments(seed):
            body = str(row["body"])
            for phrase, code in PHRASES.items():
                start = body.find(phrase)
                if start >= 0:
                    writer.writerow([f"reddit:t1_{row['id']}", code, "ana", start,
                                     start + len(phrase), phrase, "SIMULATED coding"])  # fmt: skip
    return path
