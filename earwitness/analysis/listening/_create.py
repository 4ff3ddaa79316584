"""Building a listening test from the study's registered song versions.

Versions are the ones ``earwitness audio add`` registers (labels ``mix``, ``human``,
``ai:SERVICE[:SETTING]``); conditions are chosen by label or glob (``ai:*``). The
prepared WAVs are stored by sha256 under ``listening/`` in the study folder, with one
manifest entry per stimulus in the store.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.analysis.listening import _prepare as prep
from earwitness.analysis.listening import _signal as sig
from earwitness.analysis.listening._preference import HUMAN_REFERENCE_CAVEAT
from earwitness.analysis.metrics import read_audio
from earwitness.errors import BadInputError
from earwitness.processes import worker_pool
from earwitness.progress import ProgressReporter
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

__all__ = ["MAX_MUSHRA_CONDITIONS", "STIMULI_DIR", "create_test", "list_tests"]

MAX_MUSHRA_CONDITIONS = 12  # BS.1534-3 §5.1 (no more than 12 systems under test)
STIMULI_DIR = "listening"
DEFAULT_FADE_MS = 20.0
T = TypeVar("T")


@dataclass(frozen=True)
class _Version:
    id: int
    label: str
    kind: str
    path: str
    sha256: str


def _song_versions(connection: Connection, song_names: Sequence[str] | None) -> dict[str, Any]:
    v, f, so = s.song_versions, s.audio_files, s.songs
    query = (
        sa.select(so.c.id, so.c.name, v.c.id, v.c.label, v.c.kind, f.c.path, f.c.sha256)
        .select_from(v.join(f, v.c.file_id == f.c.id).join(so, v.c.song_id == so.c.id))
        .order_by(so.c.id, v.c.id)
    )
    songs: dict[str, Any] = {}
    for song_id, name, *version in connection.execute(query):
        songs.setdefault(name, {"id": song_id, "versions": []})["versions"].append(
            _Version(*version)
        )
    if song_names:
        missing = [n for n in song_names if n not in songs]
        if missing:
            raise BadInputError(f"no registered song named {missing[0]!r}", field="--songs")
        songs = {n: songs[n] for n in song_names}
    if not songs:
        raise BadInputError("the study has no song versions: add some with `earwitness audio add`")
    return songs


def _pick(versions: list[_Version], reference: str | None) -> _Version | None:
    if reference is None:
        return None
    matches = [v for v in versions if v.label == reference] or [
        v for v in versions if v.kind == reference
    ]
    return matches[0] if matches else None


def _select(
    versions: list[_Version], reference: str | None, conditions: Sequence[str]
) -> tuple[_Version | None, list[_Version]]:
    ref = _pick(versions, reference)
    chosen = [
        v
        for v in versions
        if v is not ref and any(fnmatch.fnmatchcase(v.label, p) for p in conditions)
    ]
    return ref, list(dict.fromkeys(chosen))


def _plan_items(
    songs: dict[str, Any], design: str, reference: str | None, conditions: Sequence[str]
) -> list[tuple[str, int, _Version | None, list[_Version]]]:
    items, skipped = [], []
    for name, song in songs.items():
        ref, chosen = _select(song["versions"], reference, conditions)
        need = 1 if ref is not None and design != "mushra-noref" else 2
        if (design == "mushra" and ref is None) or len(chosen) < need:
            skipped.append(name)
            continue
        if design == "mushra" and len(chosen) > MAX_MUSHRA_CONDITIONS:
            raise BadInputError(
                f"song {name!r} has {len(chosen)} conditions; MUSHRA allows at most "
                f"{MAX_MUSHRA_CONDITIONS} (BS.1534-3 §5.1): narrow --conditions",
                field="--conditions",
            )
        items.append((name, song["id"], ref, chosen))
    if not items:
        what = f"a {reference!r} version and " if design == "mushra" else ""
        raise BadInputError(
            f"no song has {what}enough versions matching {', '.join(conditions)} for a "
            f"{design} test",
            field="--conditions",
        )
    return items


def _test_format(study: Study, items: list[Any]) -> tuple[int, int]:
    rates: Counter[int] = Counter()
    channels = 1
    for *_, ref, chosen in items:
        for version in [v for v in (ref, *chosen) if v is not None]:
            info = read_audio_info(study, version)
            rates[info[0]] += 1
            channels = max(channels, info[1])
    rate = max(rates, key=lambda r: (rates[r], r))
    return rate, channels


def read_audio_info(study: Study, version: _Version) -> tuple[int, int]:
    from earwitness.analysis.metrics import audio_info

    info = audio_info(_resolve(study, version.path))
    return info.sample_rate, info.channels


def _resolve(study: Study, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else study.root / path


def _trials(design: str, stimuli: dict[str, list[int]]) -> list[list[int]]:
    """Stimulus ids per trial of one item. ab: every pair in both orders."""
    ref, conditions = stimuli.get("reference", []), stimuli.get("condition", [])
    if design == "mushra":
        return [ref + conditions + stimuli["anchor35"] + stimuli["anchor70"]]
    if design == "mushra-noref":
        return [ref + conditions]
    pairs = (
        [(ref[0], c) for c in conditions] if ref else list(itertools.combinations(conditions, 2))
    )
    if design == "ab":
        return [list(p) for pair in pairs for p in (pair, pair[::-1])]
    return [list(p) for p in pairs]


def _validate(design: str, name: str, excerpt_s: float) -> None:
    if design not in s.LISTENING_DESIGNS:
        raise BadInputError(
            f"unknown design {design!r}; choose one of {', '.join(s.LISTENING_DESIGNS)}",
            field="--design",
        )
    if not name.strip() or len(name) > 255:
        raise BadInputError("a test needs a name of 1 to 255 characters", field="TEST")
    if not 1.0 <= excerpt_s <= 60.0:
        raise BadInputError("--excerpt-s must lie between 1 and 60 seconds", field="--excerpt-s")


def _cut_job(job: tuple[Any, ...]) -> tuple[float, list[prep.Excerpt]]:
    """Pass 1 for one item (in a worker process): read, align, cut, fade, measure."""
    root, item, rate, channels, excerpt_s, start, fade_ms = job
    _, _, ref, chosen = item
    versions = [] if ref is None else [(ref, "reference")]
    versions += [(v, "condition") for v in chosen]
    loaded = [
        (v.id, v.label, role, v.sha256, read_audio(_resolve_root(root, v.path)))
        for v, role in versions
    ]
    return prep.cut_excerpts(
        loaded, rate=rate, channels=channels, excerpt_s=excerpt_s, start=start, fade_ms=fade_ms
    )


@dataclass(frozen=True)
class _Stored:
    version_id: int
    role: str
    sha256: str
    path: str
    bytes: int
    manifest: dict[str, Any]


def _finish_job(job: tuple[Any, ...]) -> list[_Stored]:
    """Pass 2 for one item (in a worker process): gain, anchors, PCM, re-measure, store."""
    root, excerpts, design, rate, target = job
    stimuli = [prep.finish(e, rate, target) for e in excerpts]
    if design == "mushra":
        stimuli += prep.anchors(excerpts[0], rate, target)
    stored = []
    for stimulus in stimuli:  # the measured difference a simulated listener hears
        stimulus.manifest["residual_vs_first_db"] = prep.residual_db(
            stimulus.samples, stimuli[0].samples
        )
    for stimulus in stimuli:
        digest, path = _store_wav(root, stimulus.wav)
        stored.append(
            _Stored(
                stimulus.version_id,
                stimulus.role,
                digest,
                path,
                len(stimulus.wav),
                stimulus.manifest,
            )
        )
    return stored


def _resolve_root(root: Path, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else root / path


def _store_wav(root: Path, wav: bytes) -> tuple[str, str]:
    """Write a stimulus by its sha256 under ``listening/`` (atomically); digest and path."""
    import hashlib

    digest = hashlib.sha256(wav).hexdigest()
    folder = root / STIMULI_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.wav"
    if not path.exists():
        tmp = folder / f"{digest}.{os.getpid()}.tmp"
        tmp.write_bytes(wav)
        tmp.replace(path)
    return digest, str(path.relative_to(root))


def _run_jobs(function: Callable[[Any], T], jobs: list[Any], workers: int, label: str) -> list[T]:
    """``function`` over ``jobs`` in order, in up to ``workers`` processes, with progress."""
    results: list[T] = []
    with ProgressReporter(label, total=len(jobs)) as progress:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                results.append(function(job))
                progress.advance()
            return results
        with worker_pool(min(workers, len(jobs))) as pool:
            for result in pool.map(function, jobs):
                results.append(result)
                progress.advance()
    return results


def create_test(
    store: Store,
    study: Study,
    name: str,
    design: str,
    *,
    reference: str | None = None,
    conditions: Sequence[str] = ("ai:*",),
    songs: Sequence[str] | None = None,
    excerpt_s: float = 10.0,
    start: float | None = None,
    fade_ms: float = DEFAULT_FADE_MS,
    headphone_check: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Prepare every stimulus of a new test and record it; a summary of what was built.

    Songs are prepared in parallel processes (``workers``, default: all cores).
    """
    _validate(design, name, excerpt_s)
    if not 10.0 <= fade_ms <= 50.0:
        raise BadInputError("fades must last 10 to 50 ms", field="--fade-ms")
    if design == "mushra" and reference is None:
        reference = str(study.setting("audio_reference_version"))
    with store.connect() as connection:
        if connection.scalar(
            sa.select(s.listening_tests.c.id).where(s.listening_tests.c.name == name)
        ):
            raise BadInputError(f"a listening test named {name!r} exists already", field="TEST")
        items = _plan_items(_song_versions(connection, songs), design, reference, conditions)
    rate, channels = _test_format(study, items)
    workers = max(1, workers or os.cpu_count() or 1)
    cut_jobs = [(study.root, item, rate, channels, excerpt_s, start, fade_ms) for item in items]
    prepared = _run_jobs(_cut_job, cut_jobs, workers, "Cutting and measuring excerpts")
    target = sig.target_loudness([e.plr for _, excerpts in prepared for e in excerpts])
    finish_jobs = [(study.root, excerpts, design, rate, target) for _, excerpts in prepared]
    starts = [begin for begin, _ in prepared]
    del prepared
    finished = _run_jobs(_finish_job, finish_jobs, workers, "Matching and writing stimuli")
    config = {
        "reference": reference,
        "conditions": list(conditions),
        "songs": [item[0] for item in items],
        "excerpt_s": excerpt_s,
        "start": start,
        "fade_ms": fade_ms,
        "target_lufs": target,
        "sample_rate": rate,
        "channels": channels,
        "bit_depth": sig.BIT_DEPTH,
        "headphone_check": headphone_check,
    }
    _record(store, name, design, config, items, starts, finished)
    warning = preference_warning(design, items)
    return {**summary(store, name), **({"warning": warning} if warning else {})}


def preference_warning(design: str, items: list[Any]) -> str | None:
    """Why a test of this design and these versions cannot feed blind preference over
    the human master, if it cannot (see ``_preference``)."""
    if design == "abx":
        return None
    references = {ref.kind for *_, ref, _ in items if ref is not None}
    if design == "mushra" and "human" in references:
        return HUMAN_REFERENCE_CAVEAT
    rated = {v.kind for *_, chosen in items for v in chosen}
    rated |= references if design != "mushra" else set()
    if not {"ai", "human"} <= rated:
        return (
            "this test does not rate an AI master beside the human master: it gives no "
            "blind preference over human"
        )
    return None


def _record(
    store: Store,
    name: str,
    design: str,
    config: dict[str, Any],
    items: list[Any],
    starts: list[float],
    finished: list[list[_Stored]],
) -> None:
    with store.transaction() as connection:
        test_id = connection.execute(
            s.listening_tests.insert().values(name=name, design=design, config=config)
        ).inserted_primary_key[0]  # type: ignore[index]
        position = 0
        for index, (item, begin, stimuli) in enumerate(zip(items, starts, finished, strict=True)):
            item_id = connection.execute(
                s.listening_items.insert().values(
                    test_id=test_id,
                    song_id=item[1],
                    position=index,
                    start_s=begin,
                    frames=stimuli[0].manifest["frames"],
                    sample_rate=config["sample_rate"],
                    channels=config["channels"],
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            by_role: dict[str, list[int]] = {}
            for stimulus in stimuli:
                stimulus_id = connection.execute(
                    s.listening_stimuli.insert().values(
                        item_id=item_id,
                        version_id=stimulus.version_id,
                        role=stimulus.role,
                        sha256=stimulus.sha256,
                        path=stimulus.path,
                        bytes=stimulus.bytes,
                        manifest=stimulus.manifest,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                by_role.setdefault(stimulus.role, []).append(int(stimulus_id))
            for ids in _trials(design, by_role):
                connection.execute(
                    s.listening_trials.insert().values(
                        test_id=test_id, item_id=item_id, position=position, stimuli=ids
                    )
                )
                position += 1


def summary(store: Store, name: str) -> dict[str, Any]:
    for test in list_tests(store):
        if test["name"] == name:
            return test
    raise BadInputError(f"no listening test named {name!r}", field="TEST")


def list_tests(store: Store) -> list[dict[str, Any]]:
    """Every test: name, design, reference, conditions and songs (lists), stimuli, target
    loudness, sessions, completed and simulated sessions, creation time."""
    t, se = s.listening_tests, s.listening_sessions
    with store.connect() as connection:
        tests = connection.execute(
            sa.select(t.c.id, t.c.name, t.c.design, t.c.config, t.c.created_at).order_by(t.c.id)
        ).all()
        counts = {
            (test_id, status, bool(simulated)): n
            for test_id, status, simulated, n in connection.execute(
                sa.select(se.c.test_id, se.c.status, se.c.simulated, sa.func.count()).group_by(
                    se.c.test_id, se.c.status, se.c.simulated
                )
            )
        }
        stimuli: dict[int, int] = dict(
            connection.execute(
                sa.select(s.listening_items.c.test_id, sa.func.count())
                .select_from(s.listening_stimuli.join(s.listening_items))
                .group_by(s.listening_items.c.test_id)
            ).all()
        )
    out = []
    for test_id, name, design, config, created in tests:
        mine = {k: n for k, n in counts.items() if k[0] == test_id}
        out.append(
            {
                "name": name,
                "design": design,
                "reference": config.get("reference"),
                "conditions": list(config.get("conditions", [])),
                "songs": list(config.get("songs", [])),
                "stimuli": stimuli.get(test_id, 0),
                "target_lufs": round(float(config.get("target_lufs", 0.0)), 2),
                "sessions": sum(mine.values()),
                "completed": sum(n for k, n in mine.items() if k[1] == "complete"),
                "simulated": sum(n for k, n in mine.items() if k[2]),
                "created_at": created,
            }
        )
    return out
