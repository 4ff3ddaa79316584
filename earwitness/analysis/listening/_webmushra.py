"""webMUSHRA interchange (AudioLabs webMUSHRA 1.4.x config YAML and result CSVs).

Export: ``configs/TEST.yaml`` with a ``volume`` page, then one ``mushra`` page per item
(``reference``, ``stimuli`` C1..Cn, our own BS.1534-3 anchors as stimuli ``anchor35`` and
``anchor70``, so ``createAnchor35``/``createAnchor70`` are false) for a ``mushra`` test,
or one ``paired_comparison`` page per pair for an ``abx`` test, and a ``finish`` page;
stimuli under ``configs/resources/audio/`` with opaque names; ``earwitness-map.json``
(for the researcher, beside ``configs/``) maps page ids and stimulus keys back to stimuli.

webMUSHRA's ``paired_comparison`` page is a discrimination test, not a preference:
the open reference and A/B, one of which is the hidden reference; the listener says
which, and webMUSHRA records ``correct``, ``incorrect``, ``undecided`` (the ``unforced``
option) or ``unknown``. That is our ``abx`` (X = the pair's first version). webMUSHRA's
``write.php`` writes no preference results, so ``ab`` and ``mushra-noref`` tests are not
exported.

Import: ``mushra.csv`` (``session_test_id``, the questionnaire's participant columns,
``session_uuid`` (webMUSHRA 1.4.3 and later), ``trial_id``, ``rating_stimulus``,
``rating_score``, ``rating_time``, ``rating_comment``) and ``paired_comparison.csv``
(``session_test_id``, participant columns, ``trial_id``, ``choice_reference``,
``choice_non_reference``, ``choice_answer``, ``choice_time``, ``choice_comment``; no
``session_uuid``), as webMUSHRA's ``service/write.php`` writes them. A listener is the
``session_uuid`` where there is one, else the participant columns. webMUSHRA rates the
hidden reference as ``reference``.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from earwitness.analysis.listening._exchange import stimulus_rows
from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

__all__ = ["export_webmushra", "import_results"]

MAP_NAME = "earwitness-map.json"


def _trials(store: Store, test: str) -> tuple[str, list[tuple[int, int, list[int]]]]:
    t, tr = s.listening_tests, s.listening_trials
    with store.connect() as connection:
        design = connection.scalar(sa.select(t.c.design).where(t.c.name == test))
        rows = connection.execute(
            sa.select(tr.c.id, tr.c.position, tr.c.stimuli)
            .select_from(tr.join(t, tr.c.test_id == t.c.id))
            .where(t.c.name == test)
            .order_by(tr.c.position)
        ).all()
    if design is None:
        raise BadInputError(f"no listening test named {test!r}", field="TEST")
    return str(design), [(int(a), int(b), list(c)) for a, b, c in rows]


def export_webmushra(store: Store, study: Study, test: str, folder: Path) -> Path:
    design, trials = _trials(store, test)
    if design not in ("mushra", "abx"):
        raise BadInputError(
            f"webMUSHRA records no results for a {design} test: export mushra or abx tests",
            field="TEST",
        )
    stimuli = {row["id"]: row for row in stimulus_rows(store, test)}
    audio = folder / "configs" / "resources" / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    names: dict[int, str] = {}
    for stimulus_id in stimuli:
        names[stimulus_id] = f"s{secrets.token_hex(6)}.wav"
        shutil.copyfile(study.root / stimuli[stimulus_id]["path"], audio / names[stimulus_id])
    path = lambda i: f"configs/resources/audio/{names[i]}"  # noqa: E731
    first = next(iter(stimuli))
    pages: list[Any] = [
        {
            "type": "volume",
            "id": "volume",
            "name": "Volume",
            "content": "Set a comfortable level.",
            "stimulus": path(first),
            "defaultVolume": 0.5,
        }
    ]
    mapping: dict[str, Any] = {"test": test, "design": design, "pages": {}}
    for trial_id, position, ids in trials:
        page_id = f"trial{position}"
        if design == "mushra":
            keys = {"reference": ids[0]}
            page_stimuli = {}
            for number, stimulus_id in enumerate(ids[1:], start=1):
                role = stimuli[stimulus_id]["role"]
                key = role if role.startswith("anchor") else f"C{number}"
                page_stimuli[key], keys[key] = path(stimulus_id), stimulus_id
            pages.append(
                {
                    "type": "mushra",
                    "id": page_id,
                    "name": f"Item {position + 1}",
                    "content": "Rate each version against the reference.",
                    "showWaveform": False,
                    "enableLooping": True,
                    "reference": path(ids[0]),
                    "createAnchor35": False,
                    "createAnchor70": False,
                    "stimuli": page_stimuli,
                }
            )
        else:
            keys = {"reference": ids[0], "C1": ids[1]}
            pages.append(
                {
                    "type": "paired_comparison",
                    "id": page_id,
                    "name": f"Pair {position + 1}",
                    "unforced": "I cannot tell",
                    "content": "Which of A and B is the reference?",
                    "showWaveform": False,
                    "enableLooping": True,
                    "reference": path(ids[0]),
                    "stimuli": {"C1": path(ids[1])},
                }
            )
        mapping["pages"][page_id] = {"trial": trial_id, "stimuli": keys}
    pages.append(
        {
            "type": "finish",
            "name": "Thank you",
            "content": "Thank you!",
            "showResults": False,
            "writeResults": True,
        }
    )
    config = {
        "testname": test,
        "testId": test,
        "bufferSize": 2048,
        "stopOnErrors": True,
        "showButtonPreviousPage": True,
        "remoteService": "service/write.php",
        "pages": pages,
    }
    target = folder / "configs" / f"{_safe(test)}.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (folder / MAP_NAME).write_text(json.dumps(mapping, indent=2), encoding="utf-8")
    return target


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text) or "test"


_PC_ANSWERS = {"correct": 1.0, "incorrect": 0.0, "undecided": None, "unknown": None}
_MUSHRA = ("trial_id", "rating_stimulus", "rating_score")
_PAIRED = ("trial_id", "choice_reference", "choice_non_reference", "choice_answer")


def _read(file: Path) -> tuple[str, list[dict[str, str]]]:
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        rows = list(reader)
    if set(_MUSHRA) <= columns:
        return "mushra", rows
    if set(_PAIRED) <= columns:
        return "paired", rows
    raise BadInputError("not a webMUSHRA mushra.csv or paired_comparison.csv", file=file)


def _who(row: dict[str, str], kind: str) -> str:
    if row.get("session_uuid"):
        return row["session_uuid"]
    known = {
        "session_test_id",
        *_MUSHRA,
        *_PAIRED,
        "rating_time",
        "rating_comment",
        "choice_time",
        "choice_comment",
    }
    return "|".join(f"{k}={v}" for k, v in sorted(row.items()) if k not in known)


def import_results(
    store: Store, test: str, files: list[Path], map_file: Path | None = None
) -> dict[str, int]:
    """Each rating matched to its stimulus through the export's map; one session per listener."""
    design, _ = _trials(store, test)
    map_path = map_file or files[0].parent / MAP_NAME
    if not map_path.is_file():
        raise BadInputError(f"the export map {MAP_NAME} is needed to match stimuli", file=map_path)
    mapping = json.loads(map_path.read_text(encoding="utf-8"))
    if mapping.get("test") != test:
        raise BadInputError(
            f"{map_path.name} belongs to test {mapping.get('test')!r}", file=map_path
        )
    by_listener: dict[str, list[_Row]] = defaultdict(list)
    seen: dict[tuple[str, ...], tuple[Path, int]] = {}
    for file in files:
        kind, rows = _read(file)
        if (kind == "mushra") != (design == "mushra"):
            raise BadInputError(
                f"{file.name} holds {kind} results but {test!r} is a {design} test", file=file
            )
        for number, row in enumerate(rows, start=2):
            if row["trial_id"] not in mapping["pages"]:
                raise BadInputError(f"unknown trial_id {row['trial_id']!r}", file=file, row=number)
            who = _who(row, kind)
            _refuse_repeat(
                seen, (who, row["trial_id"], row.get("rating_stimulus", "")), file, number
            )
            by_listener[who].append(_Row(kind, row, file, number))
    answers = 0
    with store.transaction() as connection:
        test_id = int(
            connection.scalar(
                sa.select(s.listening_tests.c.id).where(s.listening_tests.c.name == test)
            )
            or 0
        )
        for listener, given in by_listener.items():
            answers += _write_session(connection, test_id, design, mapping, listener, given)
    return {"sessions": len(by_listener), "answers": answers}


def _refuse_repeat(
    seen: dict[tuple[str, ...], tuple[Path, int]], key: tuple[str, ...], file: Path, number: int
) -> None:
    """One answer per listener, page (and stimulus): a repeated row is refused, not merged."""
    if key in seen:
        first_file, first_row = seen[key]
        where = f"row {first_row}" + ("" if first_file == file else f" of {first_file.name}")
        what = f"stimulus {key[2]!r} on page {key[1]!r}" if key[2] else f"page {key[1]!r}"
        raise BadInputError(
            f"repeats the same listener's answer to {what} ({where}); nothing was imported",
            file=file,
            row=number,
        )
    seen[key] = (file, number)


@dataclass
class _Row:
    kind: str
    row: dict[str, str]
    file: Path
    number: int


def _answer(base: dict[str, Any], page: dict[str, Any], given: _Row) -> dict[str, Any]:
    row = given.row
    if given.kind == "mushra":
        key = row["rating_stimulus"]
        if key not in page["stimuli"]:
            raise BadInputError(
                f"unknown rating_stimulus {key!r} on page {row['trial_id']}",
                file=given.file,
                row=given.number,
            )
        try:
            score = float(row["rating_score"])
        except ValueError:
            raise BadInputError(
                f"rating_score {row['rating_score']!r} is not a number",
                file=given.file,
                row=given.number,
            ) from None
        role = (
            "hidden_reference"
            if key == "reference"
            else (key if key.startswith("anchor") else "condition")
        )
        return {**base, "stimulus_id": page["stimuli"][key], "slot_role": role, "score": score}
    answer = row["choice_answer"].strip()
    if answer not in _PC_ANSWERS:
        raise BadInputError(
            f"unknown choice_answer {answer!r} on page {row['trial_id']}",
            file=given.file,
            row=given.number,
        )
    return {
        **base,
        "stimulus_id": page["stimuli"]["reference"],
        "versus_stimulus_id": page["stimuli"]["C1"],
        "slot_role": "condition",
        "choice": answer,
        "score": _PC_ANSWERS[answer],
    }


def _write_session(
    connection: Any,
    test_id: int,
    design: str,
    mapping: dict[str, Any],
    listener: str,
    rows: list[_Row],
) -> int:
    pages = mapping["pages"]
    order = list(dict.fromkeys(r.row["trial_id"] for r in rows))
    session_id = connection.execute(
        s.listening_sessions.insert().values(
            test_id=test_id,
            token=secrets.token_urlsafe(16),
            seed=0,
            status="complete",
            plan={"trials": [], "source": "webMUSHRA"},
            crowd_id=listener[:128],
            progress=len(order),
            simulated=False,
        )
    ).inserted_primary_key[0]
    out = []
    for given in rows:
        page = pages[given.row["trial_id"]]
        base = {
            "session_id": session_id,
            "trial_id": page["trial"],
            "tags": [],
            "presented": order.index(given.row["trial_id"]),
            "simulated": False,
        }
        out.append(_answer(base, page, given))
    connection.execute(s.listening_answers.insert(), out)
    return len(out)
