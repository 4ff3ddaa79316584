"""Fixtures of the coding tests: a study with documents from two user groups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from earwitness.cli import cli
from earwitness.store import DocumentRecord, Store, ensure_participant, set_user_group
from earwitness.store.records import record_source, upsert_document
from earwitness.study import Study

SMALL_CODEBOOK = """\
codebook:
  name: test codebook
codes:
  - name: Quality
    codable: false
    color: "#1F77B4"
    children:
      - name: Sounds finished
        definition: The master is heard as release-ready.
        inclusion: Praise of loudness, clarity or polish of an automatic master.
        exclusion: Praise of the mix itself.
        examples:
          - quote: It came back loud and clean.
            illustrative: true
      - name: Harsh
        definition: The master is heard as harsh or over-compressed.
  - name: Control
    children:
      - name: Wants knobs
        definition: Asks for more parameters.
  - name: Cost
    definition: Price, subscription or value for money.
"""

POSTS = {
    "t1": ("amateur", "LANDR made my track sound finished. But it was harsh on the hats.\n\n"
           "I wish it had more knobs. The price is fair."),
    "t2": ("professional", "Honestly the automatic master was harsh. I want control over the "
           "limiter."),
    "t3": ("amateur", "Too expensive for me."),
}  # fmt: skip


def add_documents(store: Store, key: str = "k") -> dict[str, int]:
    """Three forum posts by three participants, two amateurs and a professional."""
    ids = {}
    with store.transaction() as connection:
        source = record_source(connection, "forum", url="https://forum.invalid/t")
        for native_id, (group, text) in POSTS.items():
            participant = ensure_participant(connection, f"p_{native_id}{key}")
            set_user_group(connection, participant, group, method="test")
            ids[native_id], _ = upsert_document(
                connection,
                DocumentRecord(
                    platform="forum",
                    native_id=native_id,
                    text=text,
                    participant_id=participant,
                    source_id=source,
                ),
            )
    return ids


@pytest.fixture
def write_codebook_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str = SMALL_CODEBOOK) -> Path:
        path = tmp_path / "codebook.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def invoke(study: Study) -> Callable[..., Result]:
    """Run an `earwitness` command in-process against the test study."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--study", str(study.root), *args])

    return run
