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


def test_preference_section_and_simulated_label(tmp_path) -> None:
    rule = "rate leaves ties out"
    row = {"service": EVIL, "ai_preferred": 2, "human_preferred": 1, "ties": 1, "rate": 2 / 3}
    report = {
        "test": "t",
        "design": "ab",
        "sessions": 1,
        "answers": 4,
        "simulated_answers": 4,
        "excluded_sessions": [],
        "pairs": [],
        "preference": {
            "rule": rule,
            "caveat": None,
            "by_service": [row],
            "by_service_group": [{**row, "user_group": "amateur"}],
        },
        "screening": {"assessors": []},
    }
    path = tmp_path / "r.html"
    write_html(report, path)
    text = path.read_text()
    assert "<title>Listening test t (ab) · SIMULATED</title>" in text
    assert "Blind preference over the human master" in text and rule in text
    assert EVIL not in text and text.count("&lt;script&gt;") == 2
    report["preference"]["caveat"] = "MUSHRA with the human master as reference cannot"
    report["simulated_answers"] = 0
    write_html(report, path)
    text = path.read_text()
    assert "None from this test." in text and "&lt;script&gt;" not in text
    assert "SIMULATED" not in text
