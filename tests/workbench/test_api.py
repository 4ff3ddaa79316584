"""The workbench's API on SQLite and PostgreSQL: writes, conflicts, blind mode, agreement
equal to `earwitness code agreement`, stance labels stored as `code stance import` stores
them, and requests from other sites refused."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from earwitness.cli import cli
from earwitness.code import apply_code
from earwitness.code.workbench import WorkbenchConfig, add_token, create_app
from earwitness.store import Store
from earwitness.store.schema import codings, documents, notes, tool_mentions
from tests.workbench.conftest import TOOLS, UNICODE_POST, posts


def client(store: Store, coder: str, *, blind: bool = False, **config: Any) -> TestClient:
    """The coder's workbench; on a shared (PostgreSQL) study signed in with a new token."""
    app = create_app(store, WorkbenchConfig(coder=coder, blind=blind, **config))
    c = TestClient(app, base_url="http://127.0.0.1:8700")
    if store.backend == "PostgreSQL":
        signed = c.post("/api/login", json={"token": add_token(store, coder)})
        assert signed.status_code == 200 and signed.json() == {"coder": coder}
    return c


def guid(c: TestClient, name: str) -> str:
    return next(code["guid"] for code in c.get("/api/start").json()["codebook"]
                if code["name"] == name)  # fmt: skip


def apply(c: TestClient, document: int, start: int, end: int, code: str) -> Any:
    body = {"document": document, "start": start, "end": end, "code": guid(c, code)}
    response = c.post("/api/apply", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def view(c: TestClient, document: int) -> dict[str, Any]:
    return c.get(f"/api/documents/{document}").json()


def test_apply_remove_and_stale_edits_are_refused(wb_study) -> None:
    store, ids = wb_study
    ana = client(store, "ana")
    doc = ids["u1"]
    at = UNICODE_POST.index("🎧🔥")
    first = apply(ana, doc, at, at + 2, "Harsh")
    assert apply(ana, doc, at, at + 2, "Harsh") == first  # the same coding once
    coding = view(ana, doc)["codings"][0]
    assert (coding["start"], coding["end"]) == (at, at + 2)
    expected = {"start": at, "end": at + 2, "memo": None}
    # a second tab moves it; the first tab's stale removal is refused and changes nothing
    moved = ana.post(
        f"/api/adjust/{first}", json={"expected": expected, "start": at, "end": at + 1}
    )
    assert moved.status_code == 200
    stale = ana.post(f"/api/remove/{first}", json={"expected": expected})
    assert stale.status_code == 409 and stale.json()["conflict"]
    assert "changed by another coder" in stale.json()["error"]
    new = moved.json()["id"]
    assert [(c["id"], c["start"], c["end"]) for c in view(ana, doc)["codings"]] == [
        (new, at, at + 1)
    ]
    # memos: the second save from a stale read is refused, the first is kept
    assert ana.post(f"/api/coding-memo/{new}", json={"prior": None, "memo": "one"}).is_success
    late = ana.post(f"/api/coding-memo/{new}", json={"prior": None, "memo": "two"})
    assert late.status_code == 409
    with store.connect() as connection:
        assert connection.scalar(sa.select(codings.c.memo).where(codings.c.id == new)) == "one"
    # another coder may not remove ana's coding
    ben = client(store, "ben")
    theirs = ben.post(
        f"/api/remove/{new}", json={"expected": {"start": at, "end": at + 1, "memo": "one"}}
    )
    assert theirs.status_code == 400 and "ana's" in theirs.json()["error"]
    gone = ana.post(
        f"/api/remove/{new}", json={"expected": {"start": at, "end": at + 1, "memo": "one"}}
    )
    assert gone.status_code == 200 and view(ana, doc)["codings"] == []
    bad = ana.post(
        "/api/apply", json={"document": doc, "start": 5, "end": 999, "code": guid(ana, "Harsh")}
    )
    assert bad.status_code == 400 and "code points" in bad.json()["error"]


def test_document_memos_refuse_a_stale_save(wb_study) -> None:
    store, ids = wb_study
    ana, ben = client(store, "ana"), client(store, "ben")
    body = {"target": "document", "id": ids["p00"], "prior": None}
    assert ana.post("/api/memo", json={**body, "text": "ana's"}).is_success
    refused = ben.post("/api/memo", json={**body, "text": "ben's"})
    assert refused.status_code == 409
    assert ben.post("/api/memo", json={**body, "prior": "ana's", "text": "ben's"}).is_success
    with store.connect() as connection:
        texts = connection.scalars(sa.select(notes.c.text).where(notes.c.target_type == "document"))
        assert list(texts) == ["ben's"]


def test_blind_mode_hides_other_codings_until_both_are_done(wb_study) -> None:
    store, ids = wb_study
    doc = ids["p00"]
    ana, ben = client(store, "ana", blind=True), client(store, "ben", blind=True)
    apply(ana, doc, 0, 5, "Harsh")
    apply(ben, doc, 2, 9, "Harsh")
    assert [c["coder"] for c in view(ana, doc)["codings"]] == ["ana"]
    assert view(ana, doc)["hidden"] == 1
    ana.post("/api/done", json={"document": doc, "done": True})
    assert view(ana, doc)["hidden"] == 1  # ben is not done yet
    pair = {"a": "ana", "b": "ben"}
    assert ana.get("/api/disagreements", params=pair).json() == []  # nor in the agreement view
    ben.post("/api/done", json={"document": doc, "done": True})
    assert len(ana.get("/api/disagreements", params=pair).json()) == 1
    assert sorted(c["coder"] for c in view(ana, doc)["codings"]) == ["ana", "ben"]
    assert [c["coder"] for c in view(client(store, "ana"), ids["p00"])["codings"]] == ["ana", "ben"]


def test_the_agreement_view_equals_the_agreement_command(wb_study, any_study) -> None:
    store, ids = wb_study
    for coder, spans in {"ana": [(0, 20), (30, 60)], "ben": [(0, 25), (40, 60)],
                         "cy": [(5, 20)]}.items():  # fmt: skip
        for start, end in spans:
            for name in ("Harsh", "Wants knobs"):
                apply_code(store, name, coder=coder, document=ids["u1"], start=start, end=end)
        apply_code(store, "Cost", coder=coder, document=ids["p01"], start=0, end=5)
    data = client(store, "ana").get("/api/agreement").json()
    assert data["coders"] == ["ana", "ben", "cy"] and len(data["pairs"]) == 3
    for pair in data["pairs"]:
        result = CliRunner().invoke(
            cli,
            ["--study", str(any_study.root), "code", "agreement", "--coders",
             f"{pair['a']},{pair['b']}", "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert pair["rows"] == json.loads(result.output)
    harsh = next(r for r in data["pairs"][0]["rows"] if r["code"] == "Quality/Harsh")
    # independent: ana covers 50 characters, ben 45, both 40, of the two documents both coded
    a, b, both, n = 50, 45, 40, len(UNICODE_POST) + len(posts()["p01"][1])
    p_o = (both + (n - a - b + both)) / n
    p_e = (a / n) * (b / n) + (1 - a / n) * (1 - b / n)
    assert harsh["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e))


def test_a_resolution_is_a_new_coding_and_keeps_the_originals(wb_study) -> None:
    store, ids = wb_study
    apply_code(store, "Harsh", coder="ana", document=ids["u1"], start=0, end=10)
    apply_code(store, "Harsh", coder="ben", document=ids["u1"], start=4, end=14)
    ana = client(store, "ana")
    found = ana.get("/api/disagreements", params={"a": "ana", "b": "ben"}).json()
    assert [(d["start"], d["end"], d["text"]) for d in found] == [(0, 14, UNICODE_POST[:14])]
    resolved = [c["id"] for c in found[0]["a"] + found[0]["b"]]
    body = {"document": ids["u1"], "code": found[0]["code"], "start": 4, "end": 14,
            "resolved": resolved, "adjudicator": "dee"}  # fmt: skip
    # alone, a coder names the adjudicator; signed in with tokens, the adjudicator is who
    # signed in, whatever the body says
    if store.backend == "PostgreSQL":
        dee = client(store, "dee")
        assert dee.post("/api/resolve", json={**body, "adjudicator": "ana"}).is_success
    else:
        assert ana.post("/api/resolve", json=body).is_success
    again = ana.get("/api/disagreements", params={"a": "ana", "b": "ben"}).json()
    assert again[0]["resolved_by"] == ["dee"]
    with store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(codings)) == 3
    assert ana.get("/api/agreement").json()["coders"] == ["ana", "ben"]  # dee only adjudicated


def test_stance_labels_are_stored_as_stance_import_stores_them(wb_study, tmp_path: Path) -> None:
    store, _ = wb_study
    ana = client(store, "ana")
    unit = ana.get("/api/stance", params={"n": 3}).json()["units"][0]
    assert unit["segment"][slice(*unit["mentions"][0])] == unit["tool"]

    def rows() -> list[tuple[Any, ...]]:
        with store.connect() as connection:
            return [
                tuple(r)
                for r in connection.execute(
                    sa.select(tool_mentions.c.document_id, tool_mentions.c.segment_id,
                              tool_mentions.c.tool, tool_mentions.c.alias, tool_mentions.c.start,
                              tool_mentions.c.end, tool_mentions.c.stance, tool_mentions.c.origin,
                              tool_mentions.c.coder_id, tool_mentions.c.model_id)
                    .where(tool_mentions.c.origin == "human")
                )
            ]  # fmt: skip

    body = {"segment": unit["segment_id"], "tool": unit["tool"]}
    progress = ana.post("/api/stance-label", json={**body, "stance": "mixed"}).json()
    assert (progress["mine"], progress["anyone"]) == (1, 1)
    labelled = rows()
    undone = ana.post("/api/stance-undo", json=body).json()
    assert (undone["mine"], undone["anyone"]) == (0, 0)
    assert rows() == []
    sample = tmp_path / "labels.csv"
    with sample.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["segment_id", "tool", "stance", "coder"])
        writer.writerow([unit["segment_id"], unit["tool"], "mixed", "ana"])
    from earwitness.code.assist import import_stance_labels

    import_stance_labels(store, sample)
    assert rows() == labelled and len(labelled) >= 1
    bad = ana.post("/api/stance-label", json={**body, "stance": "great"})
    assert bad.status_code == 400


def test_other_sites_cannot_reach_or_write(wb_study) -> None:
    store, ids = wb_study
    app = create_app(store, WorkbenchConfig(coder="ana"))
    rebound = TestClient(app, base_url="http://attacker.invalid")
    assert rebound.get("/api/start").status_code == 421
    local = TestClient(app, base_url="http://127.0.0.1:8700")
    body = {"target": "document", "id": ids["p00"], "prior": None, "text": "x"}
    cross = local.post("/api/memo", json=body, headers={"Origin": "http://attacker.invalid"})
    assert cross.status_code == 403
    form = local.post("/api/memo", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    with store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(notes)) == 0
    page = local.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = local.get("/static/wb.js").text
    assert not any(w in script for w in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval("))


def test_the_list_filters_and_searches(wb_study) -> None:
    store, ids = wb_study
    ana = client(store, "ana")
    apply(ana, ids["p01"], 0, 5, "Cost")
    listing = ana.get("/api/documents", params={"q": "100%_"}).json()
    assert listing["total"] == 0  # LIKE wildcards are escaped
    assert ana.get("/api/documents", params={"q": "ozone"}).json()["total"] == 6
    coded = ana.get("/api/documents", params={"coded": "coded"}).json()
    assert [d["id"] for d in coded["documents"]] == [ids["p01"]]
    assert ana.get("/api/documents", params={"coded": "uncoded"}).json()["total"] == 24
    pros = ana.get("/api/documents", params={"group": "professional"}).json()
    assert pros["total"] == 8 and {d["user_group"] for d in pros["documents"]} == {"professional"}
    code = next(c["id"] for c in ana.get("/api/start").json()["codebook"] if c["name"] == "Cost")
    assert ana.get("/api/documents", params={"code": code}).json()["total"] == 1
    progress = ana.get("/api/start").json()["progress"]
    assert progress == [{"coder": "ana", "coded": 1, "done": 0, "documents": 25}]
    assert all(d["pseudonym"].startswith("p_") for d in listing["documents"] + pros["documents"])
    with store.transaction() as connection:
        connection.execute(
            documents.update()
            .where(documents.c.id == ids["p02"])
            .values(authored_at=datetime(2026, 3, 5, 23, 59, tzinfo=UTC))
        )
    day = {"since": "2026-03-05", "until": "2026-03-05"}
    assert [d["id"] for d in ana.get("/api/documents", params=day).json()["documents"]] == [
        ids["p02"]
    ]
    assert ana.get("/api/documents", params={"since": "2026-03-06"}).json()["total"] == 0
    bad = ana.get("/api/documents", params={"since": "5 March"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]


def test_the_queue_shows_the_stance_reports_provenance_per_tool(any_study, tmp_path: Path) -> None:
    """After a batch the queue's figures per tool are `code stance report --json`'s (its
    rows for every group), and its kappa is Cohen's on the labelled units, computed here."""
    from sklearn.metrics import cohen_kappa_score

    from earwitness.code.assist import detect_stance
    from tests.workbench.conftest import fill

    with any_study.open_store() as store:
        fill(store, tmp_path)
        detect_stance(store, method="rules")
        ana = client(store, "ana")
        before = {row["tool"]: row for row in ana.get("/api/stance").json()["provenance"]}
        assert len(before) == len(TOOLS) and all(row["n"] == 0 for row in before.values())
        assert before["LANDR"]["provenance"] == "machine unvalidated"
        assert before["LANDR"]["more_labels"] == 20  # MIN_VALIDATION, none labelled yet
        units = [u for u in ana.get("/api/stance", params={"n": 100}).json()["units"]
                 if u["tool"] == "LANDR"]  # fmt: skip
        assert len(units) >= 4
        # the machine's stance, but for one unit
        given = [u["predicted"] if i != 1 else "mixed" for i, u in enumerate(units[:6])]
        for unit, stance in zip(units, given, strict=False):
            body = {"segment": unit["segment_id"], "tool": "LANDR", "stance": stance}
            assert ana.post("/api/stance-label", json=body).status_code == 200
        data = ana.get("/api/stance").json()
        with store.connect() as connection:
            pairs: dict[int, dict[str, str]] = {}
            for r in connection.execute(
                sa.select(tool_mentions.c.segment_id, tool_mentions.c.origin,
                          tool_mentions.c.stance)
                .where(tool_mentions.c.tool == "LANDR", tool_mentions.c.stance.is_not(None))
            ):  # fmt: skip
                pairs.setdefault(r.segment_id, {})[r.origin] = r.stance
    shown = {row["tool"]: row for row in data["provenance"]}
    assert data["provenance_rule"] == {"min_units": 20, "min_lower_bound": 0.4}
    labelled = [p for p in pairs.values() if "human" in p and "model" in p]
    assert shown["LANDR"]["n"] == len(labelled) == min(len(units), len(given))
    machine, human = [p["model"] for p in labelled], [p["human"] for p in labelled]
    expected = cohen_kappa_score(machine, human)  # "mixed" makes two labels at least
    assert shown["LANDR"]["kappa"] == pytest.approx(expected, abs=1e-4)
    assert shown["LANDR"]["kappa"] is not None and shown["LANDR"]["kappa"] > 0.4
    assert shown["LANDR"]["more_labels"] >= 20 - len(labelled)  # too few to validate yet
    assert shown["LANDR"]["provenance"] == "machine unvalidated"
    assert shown["LANDR"]["coders"] == ["ana"] and before["LANDR"]["coders"] == []
    result = CliRunner().invoke(
        cli, ["--study", str(any_study.root), "code", "stance", "report", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for row in report:
        tool = shown[row["tool"]]
        assert (
            row["kappa_machine_human"],
            row["kappa_ci_low"],
            row["kappa_ci_high"],
            row["n_validation"],
            row["more_labels"],
        ) == (tool["kappa"], tool["kappa_low"], tool["kappa_high"], tool["n"], tool["more_labels"])
        if row["group"] == "all" and row["human_labelled"] < row["n"]:
            assert row["provenance"] == tool["provenance"]
