"""A small study for the dashboard tests, written straight into the store.

Everything here is SIMULATED (made up for the tests): posts by made-up authors about the
built-in services and a FICTIONAL one, codings, stance, a survey import, synthetic masters'
metrics, and listening ratings in the columns of earwitness.analysis.listening's contract.
"""

from __future__ import annotations

import types
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from earwitness.analysis import listening
from earwitness.privacy import pseudonym
from earwitness.services import add_service
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("amateur", "pro-am", "professional")
SERVICES = ("LANDR", "eMastered", "Aurelia Master")  # the last one is FICTIONAL
BANDS = ("63", "125", "250", "500", "1000", "2000", "4000", "8000", "16000")
THEMES = {
    "Perceived quality": ["Release-ready result", "Audible artefacts"],
    "Workflow integration": ["Speed and convenience"],
    "Requested functionality": ["Reference track matching", "Explanations of processing"],
}
HOSTILE = "<script>alert(1)</script> **bold** [link](http://example.org)"


def fill_study(study: Study, *, with_survey: bool = True) -> dict[str, Any]:
    key = study.key()
    rng = np.random.default_rng(7)
    with study.open_store() as store:
        add_service(store, "Aurelia Master", aliases=["Aurelia"], extra={"fictional": True})
        with store.transaction() as c:
            _text(c, key, rng)
            _audio(c, rng)
        if with_survey:
            from earwitness.survey import import_file, load_instrument

            instrument = load_instrument(
                ROOT / "earwitness/_data/instruments/ai-mastering-adoption.yaml"
            )
            import_file(store, ROOT / "earwitness/_data/demo/survey-SIMULATED-gforms.csv", key,
                        instrument=instrument)  # fmt: skip
    return {"services": SERVICES}


def _text(c: sa.Connection, key: bytes, rng: np.random.Generator) -> None:
    source = c.execute(
        s.sources.insert().values(platform="reddit", query="SIMULATED")
    ).inserted_primary_key[0]
    coder = c.execute(
        s.coders.insert().values(guid=str(uuid.uuid4()), name="ana")
    ).inserted_primary_key[0]
    code_ids: dict[str, int] = {}
    for position, (theme, codes) in enumerate(THEMES.items()):
        parent = c.execute(
            s.codes.insert().values(guid=str(uuid.uuid4()), name=theme, position=position)
        ).inserted_primary_key[0]
        code_ids[theme] = parent
        for name in codes:
            code_ids[name] = c.execute(
                s.codes.insert().values(
                    guid=str(uuid.uuid4()), name=name, parent_id=parent, position=position
                )
            ).inserted_primary_key[0]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for a in range(24):
        group = GROUPS[a % 3]
        handle = HOSTILE if a == 0 else f"sim_author_{a}"
        pid = c.execute(
            s.participants.insert().values(
                pseudonym=pseudonym(handle, key), user_group=group, group_method="test"
            )
        ).inserted_primary_key[0]
        for j in range(3):
            service = SERVICES[(a + j) % 3]
            mood = "love" if (a + j + GROUPS.index(group)) % 3 else "hate"
            text = f"I {mood} {service.split()[0]} for mastering. {HOSTILE if a == 0 else 'Fine.'} [SIMULATED]"
            doc = c.execute(
                s.documents.insert().values(
                    guid=str(uuid.uuid4()),
                    platform="reddit" if j < 2 else "interview",
                    native_id=f"sim{a}-{j}",
                    source_id=source,
                    participant_id=pid,
                    kind="post",
                    text=text,
                    text_sha256="0" * 64,
                    authored_at=start + timedelta(days=20 * j + a),
                )
            ).inserted_primary_key[0]
            seg = c.execute(
                s.segments.insert().values(document_id=doc, start=0, end=len(text), kind="post")
            ).inserted_primary_key[0]
            stance = "positive" if mood == "love" else "negative"
            c.execute(
                s.tool_mentions.insert().values(
                    document_id=doc,
                    segment_id=seg,
                    tool=service,
                    alias=service.split()[0],
                    start=7,
                    end=7 + len(service.split()[0]),
                    stance=stance,
                    origin="model",
                )
            )
            for name in list(code_ids)[(a + j) % 5 :: 2][:2]:
                c.execute(s.codings.insert().values(
                    guid=str(uuid.uuid4()), document_id=doc, segment_id=seg, start=0,
                    end=len(text), code_id=code_ids[name], coder_id=coder, origin="human",
                    status="applied",
                ))  # fmt: skip


def _audio(c: sa.Connection, rng: np.random.Generator) -> None:
    n = 0
    for song_number in range(3):
        song = c.execute(
            s.songs.insert().values(name=f"SYNTHETIC song {song_number}")
        ).inserted_primary_key[0]
        ids: dict[str, int] = {}
        for label in ("mix", "human", "ai:landr", "ai:emastered", "ai:aurelia-master"):
            n += 1
            file_id = c.execute(
                s.audio_files.insert().values(
                    sha256=f"{n:064x}",
                    path=f"audio/{n}.flac",
                    stored=True,
                    original_name=f"SYNTHETIC-{label}.flac",
                    channels=2,
                    sample_rate=48000,
                )
            ).inserted_primary_key[0]
            kind, _, service = label.partition(":")
            ids[label] = c.execute(
                s.song_versions.insert().values(
                    song_id=song,
                    file_id=file_id,
                    kind=kind,
                    service=service or None,
                    label=label,
                )
            ).inserted_primary_key[0]
            loud = {"mix": -20.0, "human": -10.0}.get(label, -9.0 + rng.normal())
            scalars = {
                "integrated_lufs": loud,
                "lra_lu": 6 + rng.normal(),
                "true_peak_dbtp": -1.0,
                "plr_db": -1 - loud,
                "psr_min_db": 7 + rng.normal(),
            }
            rows = [
                {"file_id": file_id, "name": k, "value": float(v), "data": None}
                for k, v in scalars.items()
            ]
            tilt = 0.0 if kind != "ai" else (1.0 + len(service) % 3)
            rows.append(
                {
                    "file_id": file_id,
                    "name": "bands_third_octave",
                    "value": None,
                    "data": {b: -10 - i + tilt * i / 8 for i, b in enumerate(BANDS)},
                }
            )
            rows.append(
                {
                    "file_id": file_id,
                    "name": "stereo_width_bands_db",
                    "value": None,
                    "data": {b: -12 + i * 0.5 for i, b in enumerate(BANDS)},
                }
            )
            c.execute(s.audio_metrics.insert(), rows)
        for label in ("human", "ai:landr", "ai:emastered", "ai:aurelia-master"):
            gains = [float(rng.normal()) for _ in BANDS]
            c.execute(s.audio_comparisons.insert().values(
                song_id=song, version_id=ids[label], reference_version_id=ids["mix"],
                result={"eq_curve": {"frequencies_hz": [float(b) for b in BANDS], "gain_db": gains}},
            ))  # fmt: skip


def ratings_frame(store: Store, test: str | None = None) -> pd.DataFrame:
    """SIMULATED ratings in the columns of earwitness.analysis.listening.ratings_frame."""
    with store.connect() as c:
        people = c.execute(
            sa.select(s.participants.c.pseudonym, s.participants.c.user_group)
            .where(s.participants.c.kind == "respondent").order_by(s.participants.c.id).limit(12)
        ).all()  # fmt: skip
    rng = np.random.default_rng(3)
    rows = []
    for number, (person, group) in enumerate(people):
        for trial in range(3):
            song = f"SYNTHETIC song {trial}"
            # MUSHRA with the unmastered mix as reference and the human master as a
            # condition: a design that can answer "AI or human master?"
            for role, label, kind, service in (
                ("hidden_reference", "mix", "mix", None), ("anchor35", "anchor35", "mix", None),
                ("condition", "human", "human", None),
                ("condition", "ai:landr", "ai", "LANDR"),
                ("condition", "ai:emastered", "ai", "eMastered"),
                ("condition", "ai:aurelia-master", "ai", "Aurelia Master"),
            ):  # fmt: skip
                rows.append({
                    "test": "SIMULATED test", "design": "mushra", "session": number,
                    "participant": person, "user_group": group, "trial": trial, "song": song,
                    "version_label": label, "version_kind": kind, "service": service,
                    "role": role, "versus_label": None, "versus_kind": None,
                    "versus_service": None,
                    "score": float(np.clip(rng.normal(60 if role != "anchor35" else 20, 15), 0, 100)),
                    "choice": None, "answered_at": datetime(2025, 6, 1, tzinfo=UTC),
                    "simulated": True, "excluded": number == 0,
                    "exclusion_rule": "hidden reference under 90" if number == 0 else None,
                })  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame if test is None else frame[frame["test"] == test]


def _screening(store: Store, test: str) -> dict[str, Any]:
    """A screening report in the shape of earwitness.analysis.listening.screening_report."""
    frame = ratings_frame(store, test)
    assessors = [
        {"session": session, "participant": rows["participant"].iloc[0], "simulated": True,
         "items": 3, "hidden_reference_below_90": 3 if session == 0 else 0,
         "mid_anchor_above_90": 0, "excluded": session == 0,
         "rule": "hidden_reference" if session == 0 else None, "flagged": False}
        for session, rows in frame.groupby("session")
    ]  # fmt: skip
    return {
        "test": test,
        "design": "mushra",
        "rules": "BS.1534-3 post-screening (SIMULATED stand-in)",
        "assessors": assessors,
        "excluded": [a["session"] for a in assessors if a["excluded"]],
        "behaviour_flagged": [],
    }


def listening_stand_in() -> types.ModuleType:
    """The readers of earwitness.analysis.listening, over ``ratings_frame``'s ratings."""
    module = types.ModuleType("listening_stand_in")
    module.ratings_frame = ratings_frame  # type: ignore[attr-defined]
    module.list_tests = lambda store: [{"name": "SIMULATED test", "design": "mushra"}]  # type: ignore[attr-defined]
    module.screening_report = _screening  # type: ignore[attr-defined]
    # the real short ids: the stand-in's sessions are rows of listening_sessions too
    module.session_short_ids = listening.session_short_ids  # type: ignore[attr-defined]
    module.short_session_id = listening.short_session_id  # type: ignore[attr-defined]
    return module
