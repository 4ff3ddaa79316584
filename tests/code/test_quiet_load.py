"""Loading the encoder shows no progress bar of transformers or huggingface_hub: a
command's output has earwitness's own progress, in one style, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys

_LOAD = (
    "from earwitness.code.assist._embeddings import load_model, resolve_model\n"
    "import transformers.utils.logging as logging\n"
    "before = logging.is_progress_bar_enabled()\n"
    "model = load_model(resolve_model().location, 'cpu')\n"
    "print(model.encode(['a loud master']).shape, before == logging.is_progress_bar_enabled())\n"
)


def test_a_real_load_of_the_local_minilm_prints_nothing_on_stderr() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _LOAD], capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(1,", "384)", "True"]  # loaded; the setting restored
    assert "Loading weights" not in result.stderr
    assert "it/s]" not in result.stderr and "\r" not in result.stderr and "%|" not in result.stderr
