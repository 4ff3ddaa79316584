"""One identity per service: migration seed, matching, the command and the gazetteer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.services import (
    DEFAULT_SERVICES,
    ServiceIndex,
    add_aliases,
    add_labels,
    add_service,
    load_services,
    services_report,
)
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study


def _version(connection: sa.Connection, song: str, label: str, n: int) -> None:
    song_id = connection.execute(
        sa.select(s.songs.c.id).where(s.songs.c.name == song)
    ).scalar_one_or_none()
    if song_id is None:
        song_id = connection.execute(s.songs.insert().values(name=song)).inserted_primary_key[0]
    file_id = connection.execute(
        s.audio_files.insert().values(sha256=f"{n:064d}", path=f"x{n}.wav", stored=False)
    ).inserted_primary_key[0]
    kind, _, rest = label.partition(":")
    service, _, setting = rest.partition(":")
    connection.execute(
        s.song_versions.insert().values(
            song_id=song_id, file_id=file_id, kind=kind, service=service or None,
            setting=setting or None, label=label,
        )
    )  # fmt: skip


def test_a_new_study_holds_the_built_in_services(any_study: Study) -> None:
    with any_study.open_store() as store, store.connect() as connection:
        services = load_services(connection)
    assert {x.name for x in services} == set(DEFAULT_SERVICES)
    landr = next(x for x in services if x.name == "LANDR")
    assert "Lander mastering" in landr.aliases and landr.labels == ("ai:landr",)
    with any_study.open_store() as store:  # the seed left the id sequence usable
        added = add_service(store, "Aurelia Master")
    assert added.labels == ("ai:aurelia-master",)


def test_an_existing_study_migrates_with_its_version_labels(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'old.db'}", check_schema=False) as store:
        store.upgrade("0003")
        with store.transaction() as connection:
            _version(connection, "song", "ai:Landr", 1)
            _version(connection, "song", "ai:mystery-master:warm", 2)
            _version(connection, "song", "human", 3)
        store.upgrade()
        index = ServiceIndex.load(store)
        report = services_report(store)
    assert index.of_label("ai:landr:loud") == "LANDR"
    assert index.of_label("ai:mystery-master:warm") == "mystery-master"
    assert index.of_label("ai:unknown") is None
    rows = {r["service"]: r for r in report["services"]}
    assert rows["LANDR"]["versions"] == 1 and rows["mystery-master"]["songs"] == 1
    assert report["unmatched_labels"] == []


def test_added_services_aliases_and_labels_match_both_sides(store: Store) -> None:
    add_service(store, "Aurelia Master", aliases=["Aurelia"], extra={"fictional": True})
    assert add_aliases(store, "Aurelia Master", ["aurelia.example", "AURELIA"]) == 1
    assert add_labels(store, "Aurelia Master", ["ai:aur"]) == 1
    with pytest.raises(EarwitnessError, match="already names the service 'LANDR'"):
        add_aliases(store, "Aurelia Master", ["landr"])
    with pytest.raises(BadInputError, match="not ai:SERVICE"):
        add_labels(store, "Aurelia Master", ["human"])
    with pytest.raises(EarwitnessError, match="no service named"):
        add_aliases(store, "Nope", ["x"])
    index = ServiceIndex.load(store)
    assert index.of_tool("aurelia.EXAMPLE") == "Aurelia Master"
    assert index.of_label("ai:aurelia-master:bright") == "Aurelia Master"
    assert index.of_label("ai:aur") == "Aurelia Master"
    assert next(x for x in index.services if x.name == "Aurelia Master").fictional


def test_the_gazetteer_reads_the_studys_services(store: Store) -> None:
    from earwitness.code.assist import Gazetteer

    add_service(store, "Aurelia Master", aliases=["Aurelia"])
    gazetteer = Gazetteer.from_study(store, {"LANDR": []})
    assert [m[0] for m in gazetteer.find("aurelia beat ozone; landr too")] == [
        "Aurelia Master",
        "iZotope Ozone",
    ]


def test_the_services_command_reports_unmatched_labels_and_gazetteer_entries(
    study: Study,
) -> None:
    with study.open_store() as store, store.transaction() as connection:
        _version(connection, "song", "ai:ghost", 1)
    study.settings["gazetteer"] = {"Bakuage": ["bakuage"]}
    study.save_settings()
    runner = CliRunner()
    result = runner.invoke(cli, ["--study", str(study.root), "services", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["unmatched_labels"] == [{"label": "ai:ghost", "versions": 1, "songs": 1}]
    assert [u["tool"] for u in report["unmatched_gazetteer"]] == ["Bakuage"]
    added = runner.invoke(
        cli, ["--study", str(study.root), "services", "add", "Ghost", "--label", "ai:ghost"]
    )
    assert added.exit_code == 0, added.output
    again = json.loads(
        runner.invoke(cli, ["--study", str(study.root), "services", "--json"]).output
    )
    assert again["unmatched_labels"] == []
    csv = runner.invoke(cli, ["--study", str(study.root), "services", "--csv"]).output
    assert csv.splitlines()[0].startswith("service,fictional,aliases,labels,mentions")
