"""Codebook editing in the workbench: add, rename, move and merge, each versioned, and
`codebook export` writes the result; a stale edit is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code import apply_code
from earwitness.store.schema import codebook_changes, codes, codings
from tests.workbench.test_api import client, guid


def test_add_rename_move_merge_are_versioned_and_exported(
    wb_study, any_study, tmp_path: Path
) -> None:
    store, ids = wb_study
    ana = client(store, "ana")
    apply_code(store, "Harsh", coder="ana", document=ids["p00"], start=0, end=5)
    apply_code(store, "Sounds finished", coder="ana", document=ids["p00"], start=0, end=5)
    apply_code(store, "Sounds finished", coder="ben", document=ids["p01"], start=0, end=5)
    quality = guid(ana, "Quality")
    added = ana.post("/api/code-add", json={"parent": quality, "fields": {
        "name": "Pumping", "definition": "Audible gain riding."}})  # fmt: skip
    assert added.status_code == 200, added.text
    harsh = guid(ana, "Harsh")
    expected = {"name": "Harsh", "definition": "The master is heard as harsh or over-compressed."}
    renamed = ana.post("/api/code-edit", json={"code": harsh, "expected": expected, "fields": {
        "name": "Harsh or brittle", "inclusion": "Glassy highs."}})  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    stale = ana.post("/api/code-edit", json={"code": harsh, "expected": expected,
                                             "fields": {"name": "Harsh again"}})  # fmt: skip
    assert stale.status_code == 409 and "changed by another coder" in stale.json()["error"]
    moved = ana.post("/api/code-move", json={"code": guid(ana, "Wants knobs"), "parent": quality})
    assert moved.status_code == 200
    under_itself = ana.post(
        "/api/code-move", json={"code": quality, "parent": guid(ana, "Pumping")}
    )
    assert under_itself.status_code == 400
    finished = guid(ana, "Sounds finished")
    merged = ana.post("/api/code-merge", json={"code": finished, "into": harsh,
                                               "definition": "Harsh, or finished."})  # fmt: skip
    assert merged.status_code == 200, merged.text

    tree = {c["path"]: c for c in ana.get("/api/start").json()["codebook"]}
    assert "Quality/Harsh or brittle" in tree and "Quality/Sounds finished" not in tree
    assert tree["Quality/Harsh or brittle"]["guid"] == harsh  # the guid survives a rename
    assert tree["Quality/Harsh or brittle"]["definition"] == "Harsh, or finished."
    assert "Quality/Wants knobs" in tree and "Quality/Pumping" in tree
    with store.connect() as connection:
        on_harsh = connection.execute(
            sa.select(codings.c.document_id, codings.c.coder_id).where(
                codings.c.code_id == tree["Quality/Harsh or brittle"]["id"]
            )
        ).all()
        versions = connection.execute(
            sa.select(codebook_changes.c.action, codebook_changes.c.codebook).order_by(
                codebook_changes.c.id
            )
        ).all()
        assert connection.scalar(sa.select(sa.func.count()).where(codes.c.guid == finished)) == 0
    assert len(on_harsh) == 2  # ana's duplicate on the same span was dropped, ben's moved
    assert [v.action for v in versions] == ["add", "edit", "move", "merge"]
    assert "Pumping" in versions[0].codebook and "Harsh or brittle" not in versions[0].codebook
    out = tmp_path / "codebook.yaml"
    result = CliRunner().invoke(
        cli, ["--study", str(any_study.root), "code", "codebook", "export", str(out)]
    )
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert exported["codes"] == yaml.safe_load(versions[-1].codebook)["codes"]
    quality_children = next(c for c in exported["codes"] if c["name"] == "Quality")["children"]
    names = [c["name"] for c in quality_children]
    assert sorted(names) == ["Harsh or brittle", "Pumping", "Wants knobs"]
    harsh_yaml = next(c for c in quality_children if c["name"] == "Harsh or brittle")
    assert harsh_yaml["inclusion"] == "Glassy highs."


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_a_clash_is_refused_and_writes_nothing(wb_study) -> None:
    store, _ = wb_study
    ana = client(store, "ana")
    harsh = guid(ana, "Harsh")
    clash = ana.post("/api/code-edit", json={"code": harsh, "fields": {"name": "Sounds finished"}})
    assert clash.status_code == 400 and "already" in clash.json()["error"]
    css = ana.post("/api/code-edit", json={"code": harsh, "fields": {"color": "red;x:url(y)"}})
    assert css.status_code == 400 and "#1f77b4" in css.json()["error"]
    with store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(codebook_changes)) == 0
    assert "Quality/Harsh" in {c["path"] for c in ana.get("/api/start").json()["codebook"]}
