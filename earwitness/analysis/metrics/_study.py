"""Audio in a study: registering files by sha256, storing metrics and comparisons."""

from __future__ import annotations

import contextlib
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.analysis.metrics._batch import measure_files
from earwitness.analysis.metrics._compare import compare_versions
from earwitness.analysis.metrics._io import AudioData, read_audio, sha256_file
from earwitness.analysis.metrics._measure import (
    EXTENDED_KEYS,
    METRIC_KEYS,
    TOOL_VERSION,
)
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.files import atomic_output
from earwitness.progress import ProgressReporter
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

if TYPE_CHECKING:
    from earwitness.partitions import Scheduler

__all__ = [
    "VersionSpec",
    "add_file",
    "compare_song",
    "load_metrics",
    "measure_pending",
    "parse_version",
    "store_metrics",
]

KINDS = ("mix", "human", "ai")
_STORED = ("deltas", "eq_curve", "null_test", "ai_minus_human_db", "eq_moves")


@dataclass(frozen=True)
class VersionSpec:
    kind: str
    service: str | None = None
    setting: str | None = None

    @property
    def label(self) -> str:
        return ":".join(p for p in (self.kind, self.service, self.setting) if p)


def parse_version(text: str) -> VersionSpec:
    """``mix``, ``human``, ``human:ENGINEER`` or ``ai:SERVICE[:SETTING]``."""
    parts = text.strip().split(":")
    kind = parts[0].lower()
    if kind not in KINDS or len(parts) > 3 or any(not p for p in parts):
        raise BadInputError(
            f"version {text!r} is not mix, human or ai:SERVICE[:SETTING]", field="--version"
        )
    if kind == "ai" and len(parts) < 2:
        raise BadInputError(
            "an ai version names its service: ai:SERVICE[:SETTING]", field="--version"
        )
    if kind == "mix" and len(parts) > 1:
        raise BadInputError("the mix version takes no service", field="--version")
    return VersionSpec(
        kind, parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None
    )


def add_file(
    store: Store, study: Study, song: str, version: VersionSpec, path: Path
) -> dict[str, Any]:
    """Register ``path`` as ``version`` of ``song``; copy it into audio/ or reference it."""
    audio = read_audio(path)  # refuses bad files before anything is written
    digest = sha256_file(path)
    storage = str(study.setting("audio_storage"))
    if storage not in ("copy", "reference"):
        raise EarwitnessError(
            f"earwitness.toml: audio_storage must be copy or reference, not {storage!r}"
        )
    repaired = False
    if storage == "copy":
        target = study.audio_dir / f"{digest}{path.suffix.lower()}"
        repaired = _copy_verified(path, target, digest)
        stored_path = str(target.relative_to(study.root))
    else:
        stored_path = str(path.resolve())
    info = audio.info
    with store.transaction() as connection:
        store.upsert(connection, s.songs, [{"name": song, "extra": {}}], key=["name"])
        song_id = connection.scalar(sa.select(s.songs.c.id).where(s.songs.c.name == song))
        store.upsert(
            connection,
            s.audio_files,
            [{"sha256": digest, "path": stored_path, "stored": storage == "copy",
              "original_name": path.name, "format": info.format, "subtype": info.subtype,
              "sample_rate": info.sample_rate, "channels": info.channels, "frames": info.frames,
              "duration_s": info.duration_s}],
            key=["sha256"],
        )  # fmt: skip
        file_id = connection.scalar(
            sa.select(s.audio_files.c.id).where(s.audio_files.c.sha256 == digest)
        )
        elsewhere = _other_songs(connection, file_id, song_id)
        store.upsert(
            connection,
            s.song_versions,
            [{"song_id": song_id, "file_id": file_id, "kind": version.kind,
              "service": version.service, "setting": version.setting, "label": version.label}],
            key=["song_id", "file_id"],
            update=["kind", "service", "setting", "label"],
        )  # fmt: skip
    result = {"song": song, "version": version.label, "sha256": digest, "path": stored_path,
              "stored": storage == "copy", "duration_s": round(info.duration_s, 3)}  # fmt: skip
    if repaired:
        result["repaired"] = "the stored copy did not match its sha256 and was replaced"
    if elsewhere:
        result["warning"] = (
            f"{path.name}: the same audio (sha256 {digest[:12]}…) is already "
            + "; ".join(f"{label} of {name!r}" for name, label in elsewhere)
            + ": both songs share its measurements; check that this is the file you meant"
        )
    return result


def _other_songs(connection: sa.Connection, file_id: Any, song_id: Any) -> list[tuple[str, str]]:
    """(song, version label) of the other songs that already hold this file."""
    v, sg = s.song_versions, s.songs
    rows = connection.execute(
        sa.select(sg.c.name, v.c.label)
        .select_from(v.join(sg, v.c.song_id == sg.c.id))
        .where(v.c.file_id == file_id, v.c.song_id != song_id)
        .order_by(sg.c.name)
    ).all()
    return [(str(name), str(label)) for name, label in rows]


def _copy_verified(source: Path, target: Path, digest: str) -> bool:
    """Copy ``source`` to ``target`` through a temporary file whose sha256 is checked
    before the rename; a stored copy that no longer matches its name is replaced.
    Return whether a damaged copy was repaired."""
    damaged = target.exists() and sha256_file(target) != digest
    if target.exists() and not damaged:
        return False
    with atomic_output(target) as temporary:
        shutil.copyfile(source, temporary)
        if sha256_file(temporary) != digest:
            raise EarwitnessError(f"{source}: the file changed while it was copied; add it again")
    return damaged


def resolve_path(study: Study, stored_path: str) -> Path:
    path = Path(stored_path)
    return path if path.is_absolute() else study.root / path


def _metric_rows(file_id: int, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in (*METRIC_KEYS, *EXTENDED_KEYS):
        value = metrics.get(name)
        if isinstance(value, bool):  # dual_mono: stored as 0 or 1
            value = int(value)
        scalar = isinstance(value, int | float)
        if scalar and not math.isfinite(float(value)):  # type: ignore[arg-type]
            value = None
        rows.append({
            "file_id": file_id,
            "name": name,
            "value": float(value) if scalar and value is not None else None,
            "data": value if isinstance(value, dict | list | str) else None,
            "tool_version": TOOL_VERSION,
        })  # fmt: skip
    return rows


def store_metrics(store: Store, file_id: int, metrics: dict[str, Any]) -> None:
    """Write (or replace) one file's metrics in one transaction."""
    with store.transaction() as connection:
        store.upsert(
            connection, s.audio_metrics, _metric_rows(file_id, metrics),
            key=["file_id", "name"], update=["value", "data", "tool_version", "computed_at"],
        )  # fmt: skip


def load_metrics(connection: Connection, file_id: int) -> dict[str, Any]:
    rows = connection.execute(
        sa.select(s.audio_metrics.c.name, s.audio_metrics.c.value, s.audio_metrics.c.data).where(
            s.audio_metrics.c.file_id == file_id
        )
    )
    return {name: data if data is not None else value for name, value, data in rows}


def _pending(connection: Connection) -> list[tuple[int, str, str]]:
    measured = sa.select(s.audio_metrics.c.file_id).where(
        s.audio_metrics.c.name == "integrated_lufs", s.audio_metrics.c.tool_version == TOOL_VERSION
    )
    query = (
        sa.select(s.audio_files.c.id, s.audio_files.c.path, s.audio_files.c.sha256)
        .where(s.audio_files.c.id.not_in(measured))
        .order_by(s.audio_files.c.id)
    )
    return [(int(i), str(p), str(h)) for i, p, h in connection.execute(query)]


def measure_pending(
    store: Store,
    study: Study,
    *,
    workers: int | None = None,
    options: dict[str, Any] | None = None,
    scheduler: Scheduler | None = None,
) -> Iterator[dict[str, Any]]:
    """Measure every registered file without current metrics, in parallel processes or
    on a Dask scheduler (:func:`measure_files`).

    Metrics are cached by file (sha256): a file measured once is not measured again. A
    file that cannot be measured yields ``{"sha256", "path", "error"}``, stores nothing
    (so the next run tries it again) and does not stop the others. Only this process
    writes, one file per transaction replacing that file's rows, so a rerun after a
    killed command measures what is left and ends with the rows of an uninterrupted run.
    """
    with store.connect() as connection:
        pending = _pending(connection)
    if not pending:
        return
    paths = [str(resolve_path(study, path)) for _, path, _ in pending]
    options = {**(options or {}), "full": True, "series": False}  # series are not stored
    outcomes = measure_files(paths, workers=workers, options=options, scheduler=scheduler)
    on_dask = scheduler is not None and scheduler.distributed  # then Dask's step reports
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.closing(outcomes))  # the pool stops here
        reporter = None if on_dask else ProgressReporter("Measuring audio", len(pending))
        progress = stack.enter_context(reporter) if reporter else None
        for (file_id, path, digest), outcome in zip(pending, outcomes, strict=True):
            outcome.pop("file")
            if "error" not in outcome:
                store_metrics(store, file_id, outcome)
            if progress is not None:
                progress.advance()
            yield {"sha256": digest, "path": path, **outcome}


@dataclass(frozen=True)
class _Version:
    id: int
    label: str
    kind: str
    service: str | None
    file_id: int
    path: str


def _versions(connection: Connection, song_id: int) -> list[_Version]:
    v, f = s.song_versions, s.audio_files
    rows = connection.execute(
        sa.select(v.c.id, v.c.label, v.c.kind, v.c.service, v.c.file_id, f.c.path)
        .select_from(v.join(f, v.c.file_id == f.c.id))
        .where(v.c.song_id == song_id)
        .order_by(v.c.id)
    )
    return [_Version(*row) for row in rows]


def _pick_reference(versions: list[_Version], reference: str) -> _Version | None:
    for version in versions:
        if version.label == reference:
            return version
    matches = [v for v in versions if v.kind == reference]
    return matches[0] if matches else None


def compare_song(store: Store, study: Study, song: str, reference: str) -> list[dict[str, Any]]:
    """Compare each version of ``song`` with the reference and with the mix; store results."""
    with store.connect() as connection:
        song_id = connection.scalar(sa.select(s.songs.c.id).where(s.songs.c.name == song))
        if song_id is None:
            raise EarwitnessError(f"no song named {song!r} in the study")
        versions = _versions(connection, song_id)
        metrics = {v.id: load_metrics(connection, v.file_id) for v in versions}
    if any(not m for m in metrics.values()):
        raise EarwitnessError(
            f"song {song!r} has unmeasured files: run `earwitness audio measure` first"
        )
    targets = [
        t for t in (_pick_reference(versions, reference), _pick_reference(versions, "mix")) if t
    ]
    if not targets:
        raise EarwitnessError(
            f"song {song!r} has no {reference!r} version and no mix to compare with"
        )
    audio: dict[int, AudioData] = {}

    def load(version: _Version) -> AudioData:
        if version.id not in audio:
            audio[version.id] = read_audio(resolve_path(study, version.path))
        return audio[version.id]

    results: list[dict[str, Any]] = []
    for target in dict.fromkeys(targets):
        for version in versions:
            if version.id == target.id:
                continue
            result = compare_versions(
                load(version), load(target), metrics[version.id], metrics[target.id]
            )
            names = {"song": song, "version": version.label, "reference": target.label}
            ids = {"version_id": version.id, "reference_id": target.id}
            moves = {"eq_moves": _eq_moves(load(target), load(version))}
            results.append({**names, **ids, **result, **moves})
    _add_curve_differences(results)
    with store.transaction() as connection:
        store.upsert(
            connection,
            s.audio_comparisons,
            [{"song_id": song_id, "version_id": r["version_id"],
              "reference_version_id": r["reference_id"],
              "result": _json_safe({k: r[k] for k in _STORED if k in r})}
             for r in results],
            key=["version_id", "reference_version_id"],
            update=["result", "computed_at"],
        )  # fmt: skip
    return results


def _eq_moves(reference: AudioData, version: AudioData) -> dict[str, Any]:
    """The EQ operations taking the reference to this version (issue 13)."""
    from earwitness.analysis.eqmoves import estimate_moves  # numpy/scipy only

    return estimate_moves(reference, version).as_dict()


def _add_curve_differences(results: list[dict[str, Any]]) -> None:
    """AI master's EQ curve (against the mix) minus the human master's curve."""
    against_mix = [r for r in results if r["reference"] == "mix"]
    human = next((r for r in against_mix if r["version"].startswith("human")), None)
    if human is None:
        return
    base = np.array([np.nan if g is None else g for g in human["eq_curve"]["gain_db"]])
    for result in against_mix:
        if not result["version"].startswith("ai:"):
            continue
        curve = np.array([np.nan if g is None else g for g in result["eq_curve"]["gain_db"]])
        if len(curve) == len(base):
            result["ai_minus_human_db"] = [None if np.isnan(d) else float(d) for d in curve - base]


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def stored_curves(connection: Connection, service: str) -> dict[str, np.ndarray]:
    """EQ curves (against the mix) of one AI service's versions, keyed by song and label."""
    c, v, ref = s.audio_comparisons, s.song_versions, s.song_versions.alias("reference")
    rows = connection.execute(
        sa.select(s.songs.c.name, v.c.label, c.c.result)
        .select_from(
            c.join(v, c.c.version_id == v.c.id)
            .join(ref, c.c.reference_version_id == ref.c.id)
            .join(s.songs, c.c.song_id == s.songs.c.id)
        )
        .where(v.c.kind == "ai", v.c.service == service, ref.c.kind == "mix")
        .order_by(c.c.id)
    )
    curves = {}
    for song, label, result in rows:
        gains = result.get("eq_curve", {}).get("gain_db", [])
        curves[f"{song} / {label}"] = np.array([np.nan if g is None else g for g in gains])
    return curves
