"""The HTML report escapes every text that came from the study."""

from __future__ import annotations

from earwitness.analysis.listening._html import write_html

EVIL = "<script>alert(1)</script>"


def test_study_text_is_escaped(tmp_path) -> None:
    row = {
        "condition": f"ai:{EVIL}",
        "n": 3,
        "median": 50.0,
        "q1": 40.0,
        "q3": 60.0,
        "iqr": 20.0,
        "mean": 51.0,
        "ci_low": 45.0,
        "ci_high": 57.0,
    }
    report = {
        "test": EVIL,
        "design": "mushra",
        "sessions": 1,
        "answers": 3,
        "simulated_answers": 0,
        "excluded_sessions": [],
        "by_condition": [row],
        "tests": {"pairs": []},
        "screening": {"assessors": [{"session": "s", "participant": EVIL}]},
    }
    path = tmp_path / "r.html"
    write_html(report, path)
    text = path.read_text()
    assert EVIL not in text and "&lt;script&gt;" in text
    assert text.count("<svg") == 1 and "<rect" in text
