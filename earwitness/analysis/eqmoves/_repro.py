"""``earwitness repro shtern2018``: the paper's protocol on an open corpus, both methods.

Shtern, Casas & Tzerpos (2018), "Evaluating Music Mastering Quality Using Machine
Learning". See docs/eqmoves.md for the protocol, the choices the paper leaves open
(n sets, the split) and the results measured here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from earwitness.analysis.eqmoves._corpus import render_midi, rock_song_midi
from earwitness.analysis.eqmoves._datasets import (
    DATASETS,
    GAIN_DB,
    PAPER_TABLE1,
    PAPER_TABLE2,
    PAPER_TABLE3,
    Dataset,
    make_sets,
    set_operations,
)
from earwitness.analysis.eqmoves._decoder import decode_free, select_on_grid
from earwitness.analysis.eqmoves._faithful import ShternClassifier
from earwitness.analysis.eqmoves._features import (
    LOG_GRID_HZ,
    long_term_power,
    paper_difference,
    spectral_ratio_db,
    to_mono,
)
from earwitness.analysis.eqmoves._operations import apply_operations
from earwitness.analysis.eqmoves._stats import wilson_interval
from earwitness.analysis.metrics import read_audio
from earwitness.errors import EarwitnessError
from earwitness.processes import worker_pool
from earwitness.progress import ProgressReporter

if TYPE_CHECKING:
    from distributed import Client

    from earwitness.partitions import Scheduler

__all__ = ["ReproConfig", "load_clip", "run_shtern2018"]

CLIP_START_S, CLIP_LENGTH_S, PEAK_DBFS = 30.0, 30.0, -12.0


@dataclass(frozen=True)
class ReproConfig:
    songs: int = 40
    n_sets: int = 21
    clip_s: float = CLIP_LENGTH_S
    iterations: int = 1000
    depth: int = 5
    border_count: int | None = None
    test_fraction: float = 0.25
    seed: int = 2018
    workers: int = 2
    free_decoder: bool = True


def load_clip(path: Path, clip_s: float = CLIP_LENGTH_S) -> tuple[np.ndarray, float]:
    """Mono clip: the ``clip_s`` seconds after the first 30 s (or the file's last ``clip_s``
    seconds when it is shorter), peak-normalised to -12 dBFS."""
    audio = read_audio(path)
    mono, rate = to_mono(audio.samples), float(audio.sample_rate)
    length = int(clip_s * rate)
    start = int(CLIP_START_S * rate)
    if start + length > len(mono):
        start = max(0, len(mono) - length)
    clip = mono[start : start + length]
    peak = float(np.abs(clip).max())
    return clip * (10.0 ** (PEAK_DBFS / 20.0) / max(peak, 1e-12)), rate


def build_rock_corpus(directory: Path, songs: int, seed: int) -> list[Path]:
    """Render (or reuse) ``songs`` seeded rock songs as WAV files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    with ProgressReporter("Rendering the rock corpus", total=songs) as progress:
        for index in range(songs):
            wav = directory / f"rock_{seed}_{index:04d}.wav"
            if not wav.is_file():
                midi = wav.with_suffix(".mid")
                midi.write_bytes(rock_song_midi(seed * 100_003 + index))
                render_midi(midi, wav)
            paths.append(wav)
            progress.advance()
    return paths


@dataclass
class _ClipFeatures:
    paper: dict[str, np.ndarray]  # dataset name -> (n_sets, 1024)
    ratio: dict[str, np.ndarray]  # dataset name -> (n_sets, bands)
    weights: dict[str, np.ndarray]
    rate: float


def _clip_features(
    path: Path, sets: dict[str, list[tuple[int, ...]]], clip_s: float
) -> _ClipFeatures:
    clip, rate = load_clip(path, clip_s)
    grid = LOG_GRID_HZ[0.49 * rate > LOG_GRID_HZ]
    reference = long_term_power(clip, rate, grid)
    paper, ratio, weights = {}, {}, {}
    for dataset in DATASETS:
        rows_d, rows_r, rows_w = [], [], []
        for indices in sets[dataset.name]:
            equalised = apply_operations(clip, rate, set_operations(dataset, indices))
            rows_d.append(paper_difference(clip, equalised).astype(np.float32))
            r, w = spectral_ratio_db(reference, long_term_power(equalised, rate, grid))
            rows_r.append(r)
            rows_w.append(w)
        paper[dataset.name] = np.array(rows_d)
        ratio[dataset.name], weights[dataset.name] = np.array(rows_r), np.array(rows_w)
    return _ClipFeatures(paper, ratio, weights, rate)


def clip_task(
    job: tuple[Path, dict[str, list[tuple[int, ...]]], float],
) -> _ClipFeatures | str:
    """One clip's features on a Dask worker, or the reason it cannot be read."""
    try:
        return _clip_features(*job)
    except EarwitnessError as exc:
        return str(exc)


def _features(
    paths: Sequence[Path],
    sets: dict[str, list[tuple[int, ...]]],
    config: ReproConfig,
    label: str,
    on_skip: Callable[[Path, str], None],
    dask: tuple[Scheduler, Client] | None = None,
) -> list[_ClipFeatures]:
    """Features of every clip that can be read; a file that cannot is passed to ``on_skip``
    with the reason and left out, so one bad file does not end a long run. With a Dask
    scheduler and client, one task per clip on its workers (which read the files by path)."""
    if not paths:
        return []
    if dask is not None:
        return _features_on_dask(paths, sets, config, label, on_skip, dask)
    results: list[_ClipFeatures | None] = [None] * len(paths)
    reporter = ProgressReporter(f"Equalising and measuring {label}", total=len(paths))
    with reporter as progress, _pool(config.workers) as pool:
        futures = [pool.submit(_clip_features, p, sets, config.clip_s) for p in paths]
        for i, future in enumerate(futures):
            try:
                results[i] = future.result()
            except EarwitnessError as exc:
                on_skip(paths[i], str(exc))
            progress.advance()
    return [r for r in results if r is not None]


def _features_on_dask(
    paths: Sequence[Path],
    sets: dict[str, list[tuple[int, ...]]],
    config: ReproConfig,
    label: str,
    on_skip: Callable[[Path, str], None],
    dask: tuple[Scheduler, Client],
) -> list[_ClipFeatures]:
    from earwitness.partitions import map_partitions

    scheduler, client = dask
    jobs = [(path, sets, config.clip_s) for path in paths]
    outcomes = map_partitions(
        clip_task, jobs, scheduler=scheduler, label=f"Equalising and measuring {label}",
        client=client,
    )  # fmt: skip
    results = []
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, str):
            on_skip(path, outcome)
        else:
            results.append(outcome)
    return results


@contextlib.contextmanager
def _dask(scheduler: Scheduler | None) -> Iterator[tuple[Scheduler, Client] | None]:
    """One Dask client for the whole run (a LocalCluster starts once), or None."""
    from earwitness.partitions import optional_client

    if scheduler is None:
        yield None
        return
    with optional_client(scheduler) as client:
        yield None if client is None else (scheduler, client)


def _pool(workers: int) -> AbstractContextManager[Executor]:
    """A pool whose workers die with this process, or an executor that runs each job at
    once when ``workers`` is 1."""
    return worker_pool(workers) if workers > 1 else _InlineExecutor()


class _InlineExecutor(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool does
            future.set_exception(exc)
        return future


def _splits(n_songs: int, n_sets: int, config: ReproConfig) -> dict[str, np.ndarray]:
    """Boolean test masks over (song, set) rows, song-major: by song, and by clip."""
    rng = np.random.default_rng(config.seed)
    n_test_songs = max(1, round(config.test_fraction * n_songs))
    test_songs = rng.permutation(n_songs)[:n_test_songs]
    by_song = np.zeros((n_songs, n_sets), dtype=bool)
    by_song[test_songs] = True
    by_clip = np.zeros((n_songs, n_sets), dtype=bool)
    for column in range(n_sets):  # stratified: each set keeps most songs in training
        by_clip[rng.permutation(n_songs)[:n_test_songs], column] = True
    return {"song": by_song.ravel(), "clip": by_clip.ravel()}


def _grid_sets(features: list[_ClipFeatures], dataset: Dataset) -> list[tuple[int, ...]]:
    """Improved method, decoder over the dataset's dictionary: one set per (song, set) row."""
    predictions = []
    for clip in features:
        grid = LOG_GRID_HZ[: clip.ratio[dataset.name].shape[1]]
        for ratio, weights in zip(
            clip.ratio[dataset.name], clip.weights[dataset.name], strict=True
        ):
            predictions.append(
                select_on_grid(
                    ratio, weights, grid, clip.rate, dataset.grid_hz, dataset.width_oct, GAIN_DB
                )
            )
    return predictions


def _free_sets(
    features: list[_ClipFeatures], dataset: Dataset, rows: np.ndarray
) -> dict[int, tuple[int, ...]]:
    """Improved method, free decoder (no grid, any gain and width) snapped to the grid."""
    log_grid = np.log2(dataset.grid_hz)
    n_sets = features[0].ratio[dataset.name].shape[0]
    out = {}
    for row in np.flatnonzero(rows):
        clip = features[row // n_sets]
        ratio = clip.ratio[dataset.name][row % n_sets]
        grid = LOG_GRID_HZ[: len(ratio)]
        result = decode_free(ratio, clip.weights[dataset.name][row % n_sets], grid, clip.rate)
        snapped = {
            int(np.argmin(np.abs(log_grid - np.log2(o.freq_hz))))
            for o in result.operations
            if o.gain_db > GAIN_DB / 2
        }
        out[int(row)] = tuple(sorted(snapped))
    return out


def _score(
    predicted: Sequence[tuple[int, ...]], truth: Sequence[tuple[int, ...]]
) -> tuple[int, int, int]:
    exact = sum(p == t for p, t in zip(predicted, truth, strict=True))
    count = sum(len(p) == len(t) for p, t in zip(predicted, truth, strict=True))
    return exact, count, len(truth)


def _row(
    table: str,
    dataset: Dataset,
    split: str,
    method: str,
    hits: int,
    total: int,
    paper: float | None,
) -> dict[str, Any]:
    low, high = wilson_interval(hits, total)
    return {
        "table": table,
        "dataset": dataset.name,
        "width_oct": dataset.width_oct,
        "spacing_oct": dataset.spacing_oct,
        "split": split,
        "method": method,
        "correct": hits,
        "n_test": total,
        "accuracy_pct": round(100.0 * hits / total, 2) if total else None,
        "ci95_low_pct": round(100.0 * low, 2),
        "ci95_high_pct": round(100.0 * high, 2),
        "paper_pct": paper,
    }


def _evaluate_dataset(
    dataset: Dataset,
    sets: list[tuple[int, ...]],
    rock: list[_ClipFeatures],
    other: list[_ClipFeatures],
    config: ReproConfig,
) -> list[dict[str, Any]]:
    n_sets = len(sets)
    labels = np.tile(np.arange(n_sets), len(rock))
    truth = [sets[i] for i in labels]
    features = np.concatenate([c.paper[dataset.name] for c in rock])
    grid_pred = _grid_sets(rock, dataset)
    rows: list[dict[str, Any]] = []
    key = (dataset.width_oct, dataset.spacing_oct)
    for split, test in _splits(len(rock), n_sets, config).items():
        model = ShternClassifier(
            config.iterations, config.depth, config.seed, config.workers, config.border_count
        )
        model.fit(features[~test], labels[~test])
        faithful = [sets[i] for i in model.predict(features[test])]
        test_truth = [t for t, m in zip(truth, test, strict=True) if m]
        improved = [p for p, m in zip(grid_pred, test, strict=True) if m]
        for method, predicted in (("faithful", faithful), ("improved", improved)):
            exact, count, total = _score(predicted, test_truth)
            rows.append(_row("1", dataset, split, method, exact, total, PAPER_TABLE1[key]))
            rows.append(_row("2", dataset, split, method, count, total, PAPER_TABLE2.get(key)))
        if split == "song" and config.free_decoder:
            free = _free_sets(rock, dataset, test)
            exact, _, total = _score(list(free.values()), test_truth)
            rows.append(_row("1", dataset, split, "improved-free", exact, total, PAPER_TABLE1[key]))
        if split == "song" and other:
            other_labels = np.tile(np.arange(n_sets), len(other))
            other_truth = [sets[i] for i in other_labels]
            other_x = np.concatenate([c.paper[dataset.name] for c in other])
            faithful_other = [sets[i] for i in model.predict(other_x)]
            improved_other = _grid_sets(other, dataset)
            for method, predicted in (("faithful", faithful_other), ("improved", improved_other)):
                exact, _, total = _score(predicted, other_truth)
                rows.append(
                    _row("3", dataset, "rock->other", method, exact, total, PAPER_TABLE3[key])
                )
    return rows


def run_shtern2018(
    config: ReproConfig,
    out: Path,
    other_genres: Sequence[Path] = (),
    on_skip: Callable[[Path, str], None] = lambda path, reason: None,
    scheduler: Scheduler | None = None,
) -> list[dict[str, Any]]:
    """Build the corpus in ``out``, run both methods on the nine datasets; rows of Tables 1-3.

    A recording that cannot be read is left out and passed to ``on_skip`` with the reason.
    With a Dask ``scheduler`` the clips are equalised and measured on its workers (which
    need the corpus and the recordings at the same paths); training stays here.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sets = {d.name: make_sets(d, config.n_sets, config.seed) for d in DATASETS}
    with _dask(scheduler) as dask:
        # other genres first: a file that cannot be read is reported before the long part
        other = _features(list(other_genres), sets, config, "other genres", on_skip, dask)
        rock_paths = build_rock_corpus(out / "corpus", config.songs, config.seed)
        rock = _features(rock_paths, sets, config, "rock clips", on_skip, dask)
    rows: list[dict[str, Any]] = []
    with ProgressReporter("Training and decoding", total=len(DATASETS)) as progress:
        for dataset in DATASETS:
            rows.extend(_evaluate_dataset(dataset, sets[dataset.name], rock, other, config))
            progress.advance()
    return rows
