"""Write codings-SIMULATED.csv: two illustrative coders coding the demo interviews.

SIMULATED codings for the earwitness demo: written by hand to show the workflow, they
disagree on purpose in a few places so that `earwitness code agreement` has something
to measure. Spans are found by quoting the text, so the file stays right if the
interviews are edited. Run `python make_codings.py` after changing an interview.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from earwitness.collect import parse_transcript

HERE = Path(__file__).resolve().parents[2] / "earwitness" / "_data" / "demo"
# (interview file, turn number, quoted text, code path, coders who applied it)
CODINGS = [
    (
        "interview-01.txt",
        3,
        "I couldn't afford a mastering engineer",
        "Cost/Affordability",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        3,
        "the low end on two of them got a bit smeared",
        "Perceived quality/Audible artefacts",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        5,
        "there's no way to tell it what to do with the bass specifically",
        "Control and transparency/Lack of control",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        5,
        "It feels like a black box",
        "Control and transparency/Black box",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        7,
        "It saves me hours",
        "Workflow integration/Speed and convenience",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        7,
        "For a proper release I'd rather pay a person now",
        "Perceived quality/Comparison with human work",
        "ana",
    ),
    (
        "interview-01.txt",
        7,
        "a person listens to the whole record and asks what I want",
        "Fear of replacement/Human value affirmed",
        "ben",
    ),
    (
        "interview-01.txt",
        7,
        "give it a reference track",
        "Requested functionality/Reference track matching",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        7,
        "see a report of what it changed",
        "Requested functionality/Explanations of processing",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        9,
        "The cheap end of the market is going to disappear",
        "Fear of replacement/Threat to engineers' livelihood",
        "ana,ben",
    ),
    (
        "interview-01.txt",
        9,
        "people who care will still pay for taste",
        "Fear of replacement/Human value affirmed",
        "ana,ben",
    ),
    (
        "interview-02.vtt",
        3,
        "as a starting point sometimes",
        "Control and transparency/Adjustable starting point",
        "ana,ben",
    ),
    (
        "interview-02.vtt",
        3,
        "it pushes too hard for dynamic material",
        "Perceived quality/Audible artefacts",
        "ana",
    ),
    (
        "interview-02.vtt",
        3,
        "The EQ suggestions are occasionally useful on a rough mix",
        "Workflow integration/Stage of use",
        "ben",
    ),
    (
        "interview-02.vtt",
        5,
        "the automatic masters don't know the genre",
        "Genre fit/Genre mismatch",
        "ana,ben",
    ),
    (
        "interview-02.vtt",
        7,
        "consistent isn't the same as right",
        "Trust/Trust in the output",
        "ana,ben",
    ),
    (
        "interview-02.vtt",
        7,
        "explain their decisions, show me the curve they applied",
        "Requested functionality/Explanations of processing",
        "ana,ben",
    ),
    ("interview-02.vtt", 7, "so I could learn from them", "Learning/Tool as teacher", "ben"),
]


def main() -> None:
    rows = []
    for file_name, turn, quote, code, coders in CODINGS:
        path = HERE / "interviews" / file_name
        text = parse_transcript(path).turns[turn].text
        start = text.index(quote)
        document = (
            f"transcript:interview:{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}:{turn:05d}"
        )
        for coder in coders.split(","):
            rows.append(
                [document, code, coder, start, start + len(quote), quote, "SIMULATED coding"]
            )
    out = HERE / "codings-SIMULATED.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "coder", "start", "end", "text", "memo"])
        writer.writerows(rows)
    print(out)


if __name__ == "__main__":
    main()
