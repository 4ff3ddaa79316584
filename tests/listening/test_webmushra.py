"""webMUSHRA interchange, against results written the way webMUSHRA's write.php writes them.

The CSV fixtures are built here with the columns of webMUSHRA 1.4.x ``service/write.php``
(fputcsv: comma, double quotes only where needed; the questionnaire's participant columns
between ``session_test_id`` and ``session_uuid``/``trial_id``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from earwitness.analysis.listening import create_test, listening_report, ratings_frame
from earwitness.analysis.listening._webmushra import export_webmushra, import_results
from earwitness.errors import BadInputError

MUSHRA_HEADER = [
    "session_test_id",
    "email",
    "age",
    "gender",
    "session_uuid",
    "trial_id",
    "rating_stimulus",
    "rating_score",
    "rating_time",
    "rating_comment",
]
PAIRED_HEADER = [
    "session_test_id",
    "email",
    "age",
    "gender",
    "trial_id",
    "choice_reference",
    "choice_non_reference",
    "choice_answer",
    "choice_time",
    "choice_comment",
]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_mushra_export_then_import_matches_every_rating(audio_study, tmp_path) -> None:
    study, store = audio_study
    create_test(store, study, "wm", "mushra", reference="human", start=2.0)
    folder = tmp_path / "webmushra"
    config_path = export_webmushra(store, study, "wm", folder)
    config = yaml.safe_load(config_path.read_text())
    (page,) = [p for p in config["pages"] if p["type"] == "mushra"]
    assert page["createAnchor35"] is False and set(page["stimuli"]) == {
        "C1",
        "C2",
        "anchor35",
        "anchor70",
    }
    assert (folder / page["reference"]).is_file()
    text = config_path.read_text().lower()
    assert "human" not in text.replace("wm", "") and "landr" not in text and "ozone" not in text
    rows = []
    for uuid, scores in (("u-1", [100, 80, 40, 20, 55]), ("u-2", [95, 70, 30, 10, 60])):
        for key, score in zip(
            ["reference", "C1", "C2", "anchor35", "anchor70"], scores, strict=True
        ):
            rows.append(["wm", "", "30", "", uuid, page["id"], key, score, 20345, ""])
    result = import_results(
        store,
        "wm",
        [_write(tmp_path / "mushra.csv", MUSHRA_HEADER, rows)],
        folder / "earwitness-map.json",
    )
    assert result == {"sessions": 2, "answers": 10}
    frame = ratings_frame(store, "wm")
    mapping = json.loads((folder / "earwitness-map.json").read_text())["pages"][page["id"]]
    hidden = frame[frame["role"] == "hidden_reference"]
    assert sorted(hidden["score"]) == [95.0, 100.0] and set(hidden["version_label"]) == {"human"}
    assert sorted(frame[frame["role"] == "anchor35"]["score"]) == [10.0, 20.0]
    c1 = frame[(frame["role"] == "condition") & (frame["score"].isin([80.0, 70.0]))]
    assert len(c1) == 2 and c1["version_label"].nunique() == 1
    assert mapping["stimuli"]["C1"] != mapping["stimuli"]["C2"]
    assert listening_report(store, "wm")["sessions"] == 2


def test_paired_comparison_results_import_into_an_abx_test(audio_study, tmp_path) -> None:
    study, store = audio_study
    create_test(store, study, "pc", "abx", reference="human", start=2.0)
    folder = tmp_path / "webmushra"
    config = yaml.safe_load(export_webmushra(store, study, "pc", folder).read_text())
    pages = [p for p in config["pages"] if p["type"] == "paired_comparison"]
    assert len(pages) == 2 and all(set(p["stimuli"]) == {"C1"} for p in pages)
    rows = [
        ["pc", "", "41", "m", p["id"], "reference", "C1", answer, 5000, ""]
        for p, answer in zip(pages, ["correct", "undecided"], strict=True)
    ]
    rows += [["pc", "", "29", "f", p["id"], "reference", "C1", "correct", 4000, ""] for p in pages]
    result = import_results(
        store, "pc", [_write(folder / "paired_comparison.csv", PAIRED_HEADER, rows)]
    )
    assert result == {"sessions": 2, "answers": 4}
    frame = ratings_frame(store, "pc")
    assert sorted(frame["choice"].tolist()) == ["correct", "correct", "correct", "undecided"]
    listeners = listening_report(store, "pc")["listeners"]
    assert sorted((r["trials"], r["correct"]) for r in listeners) == [(2, 1), (2, 2)]


def test_bad_webmushra_input_is_refused(audio_study, tmp_path) -> None:
    study, store = audio_study
    create_test(store, study, "wm", "mushra", reference="human", start=2.0)
    create_test(store, study, "ab", "ab", reference="human", start=2.0)
    with pytest.raises(BadInputError, match="no results for a ab test"):
        export_webmushra(store, study, "ab", tmp_path / "x")
    export_webmushra(store, study, "wm", tmp_path / "wm")
    bad = _write(tmp_path / "other.csv", ["a", "b"], [[1, 2]])
    with pytest.raises(BadInputError, match="not a webMUSHRA"):
        import_results(store, "wm", [bad], tmp_path / "wm" / "earwitness-map.json")
    unknown = _write(
        tmp_path / "mushra.csv",
        MUSHRA_HEADER,
        [["wm", "", "", "", "u", "nosuchpage", "C1", 50, 1, ""]],
    )
    with pytest.raises(BadInputError, match="unknown trial_id"):
        import_results(store, "wm", [unknown], tmp_path / "wm" / "earwitness-map.json")
    assert ratings_frame(store, "wm").empty


def test_a_repeated_row_is_refused_in_one_line_and_nothing_is_written(
    audio_study, tmp_path
) -> None:
    study, store = audio_study
    create_test(store, study, "wm", "mushra", reference="human", start=2.0)
    config = yaml.safe_load(export_webmushra(store, study, "wm", tmp_path / "wm").read_text())
    (page,) = [p for p in config["pages"] if p["type"] == "mushra"]
    rows = [
        ["wm", "", "", "", uuid, page["id"], key, 50, 1, ""]
        for uuid in ("u-1", "u-2")
        for key in ("reference", "C1", "C2", "anchor35", "anchor70")
    ]
    rows.append(rows[6])  # u-2's C1 again, as a resubmitted form writes it
    results = _write(tmp_path / "mushra.csv", MUSHRA_HEADER, rows)
    with pytest.raises(BadInputError) as caught:
        import_results(store, "wm", [results], tmp_path / "wm" / "earwitness-map.json")
    message = str(caught.value)
    assert "\n" not in message and "mushra.csv" in message and "row 12" in message
    assert "row 8" in message and "'C1'" in message
    assert ratings_frame(store, "wm").empty  # u-1's complete session was not written either
