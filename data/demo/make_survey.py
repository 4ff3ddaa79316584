"""Write survey-SIMULATED-gforms.csv: simulated answers to the illustrative instrument.

SIMULATED data for the earwitness demo, drawn from a seeded random generator: no
person answered this. Run `python make_survey.py` to make the same file again.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROLES = {
    "amateur": "Hobbyist musician or producer",
    "pro-am": "Semi-professional (some paid work)",
    "professional": "Professional audio engineer",
}
PAID = {"amateur": "None", "pro-am": "Less than half", "professional": "Half or more"}
AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
FREQUENCY = ["Never", "Rarely", "Sometimes", "Often", "Always"]
LIKELY = ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely"]
TOOLS = ["LANDR", "iZotope Ozone", "iZotope Neutron", "eMastered", "RoEx", "Matchering"]
# The simulated groups differ on purpose, so the demo's tests have something to find.
LEAN = {"amateur": 1.0, "pro-am": 0.0, "professional": -1.0}
REASONS = {
    "amateur": "It is cheap and fast; a preview before paying would help.",
    "pro-am": "Being able to set a reference track and see what it changed.",
    "professional": "An explanation of every decision, and gentler limiting for dynamic music.",
}


def _likert(rng: np.random.Generator, labels: list[str], lean: float) -> str:
    return labels[int(np.clip(round(2 + lean + rng.normal(0, 0.9)), 0, 4))]


def main() -> None:
    rng = np.random.default_rng(20261121)
    header = [
        "Timestamp",
        "Email address",
        "Which best describes you?",
        "How many years have you been mixing or mastering music?",
        "How much of your income comes from mixing, mastering or production work?",
        "Which AI mixing or mastering tools have you used?",
        "How often do you use AI-assisted mastering on your own releases?",
        "AI mastering produces results I would release.",
        "I can predict what an AI mastering service will do to my track.",
        "I have to fix AI masters by hand before I release them.",
        "AI mastering threatens the income of mastering engineers.",
        "How likely are you to pay for an AI mastering service in the next 12 months?",
        "What would make you trust an AI master more, or less?",
    ]
    start = datetime(2026, 3, 2, 9, 0)
    rows = []
    groups = ["amateur"] * 16 + ["pro-am"] * 14 + ["professional"] * 12
    for number, group in enumerate(rng.permutation(groups)):
        lean = LEAN[group]
        years = {"amateur": 3, "pro-am": 7, "professional": 15}[group] + int(rng.integers(0, 6))
        used = [tool for tool in TOOLS if rng.random() < 0.45] or ["None of these"]
        rows.append(
            [
                (start + timedelta(hours=7 * number)).strftime("%Y/%m/%d %I:%M:%S %p GMT"),
                f"simulated.respondent{number}@example.org",
                ROLES[group],
                str(years),
                PAID[group],
                ", ".join(used),
                _likert(rng, FREQUENCY, lean),
                _likert(rng, AGREE, lean),
                _likert(rng, AGREE, lean / 2),
                _likert(rng, AGREE, -lean),
                _likert(rng, AGREE, -lean),
                _likert(rng, LIKELY, lean),
                f"SIMULATED answer: {REASONS[group]}",
            ]
        )
    path = Path(__file__).resolve().parents[2] / "earwitness/_data/demo/survey-SIMULATED-gforms.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    print(path)


if __name__ == "__main__":
    main()
