"""Benchmark: REFI-QDA .qdpx export and import of 100,000 codings.

SYNTHETIC DATA: the study is generated here (illustrative sentences with accents, CRLF
and an emoji, 2,000 documents, 60 codes, 3 coders, 100,000 codings on word spans); it is
not collected data.

Baselines, in the same run, on the same study and the same file:

* export: plain ``zipfile`` + ``xml.etree.ElementTree``: fetch the same rows, build the
  same Project tree in memory, serialise it, write the same archive members;
* import: plain ``zipfile`` + ``xml.etree.ElementTree.fromstring``, walking every
  selection (no safety checks, no offset detection, no database writes).

Each step runs in a fresh process (``spawn``) that first imports the same modules, so its
peak resident memory (ru_maxrss) is its own plus a common floor; an idle process that only
imports those modules shows the floor.

    .venv/bin/python benchmarks/bench_qdpx.py [--codings 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

NS = "urn:QDA-XML:project:1.0"
SENTENCES = [
    "The automatic master sounded finished but a little harsh on the cymbals.",
    "Ich wollte mehr Kontrolle über den Limiter, nicht nur einen Regler.",
    "C'était moins cher qu'un ingénieur, et honnêtement assez bon 🎚️ pour une démo.",
    "I still send the final record to a human, the AI is only a reference.",
]


def _study_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'study' / 'study.db'}"


def build(folder: Path, n_codings: int, n_documents: int = 2000, seed: int = 7) -> None:
    """A synthetic study with ``n_codings`` codings (labelled synthetic in the data)."""
    from earwitness.store.schema import coders, codes, codings, documents
    from earwitness.study import init_study

    rng = random.Random(seed)
    study = init_study(folder / "study", name="synthetic benchmark study")
    with study.open_store() as store, store.transaction() as connection:
        code_ids = []
        for i in range(60):
            parent = code_ids[i // 6 - 1] if i >= 6 else None
            result = connection.execute(
                codes.insert().values(
                    guid=str(uuid.UUID(int=rng.getrandbits(128))),
                    name=f"synthetic code {i}",
                    parent_id=parent,
                    definition="SYNTHETIC benchmark code",
                    extra={"synthetic": True},
                )
            )
            code_ids.append(int(result.inserted_primary_key[0]))
        coder_ids = [
            int(
                connection.execute(
                    coders.insert().values(guid=str(uuid.uuid4()), name=f"coder {c}", extra={})
                ).inserted_primary_key[0]
            )
            for c in "abc"
        ]
        texts = []
        for d in range(n_documents):
            text = "\r\n".join(rng.choice(SENTENCES) for _ in range(12))
            texts.append(text)
            connection.execute(
                documents.insert().values(
                    guid=str(uuid.uuid4()),
                    platform="synthetic",
                    native_id=str(d),
                    kind="post",
                    text=text,
                    text_sha256=f"{d:064d}",
                    extra={"synthetic": True},
                )
            )
        rows = []
        for k in range(n_codings):
            d = k % n_documents
            text = texts[d]
            start = rng.randrange(0, len(text) - 40)
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            end = min(len(text), start + rng.randrange(10, 120))
            rows.append(
                {
                    "guid": str(uuid.uuid4()),
                    "document_id": d + 1,
                    "start": start,
                    "end": end,
                    "code_id": rng.choice(code_ids),
                    "coder_id": rng.choice(coder_ids),
                    "origin": "human",
                    "status": "applied",
                }
            )
        connection.execute(codings.insert(), rows)


def _open(folder: Path) -> Any:
    from earwitness.store import Store

    return Store.open(_study_url(folder))


def ours_export(folder: Path) -> str:
    from earwitness.code.refi._exchange import export_qdpx

    with _open(folder) as store:
        summary = export_qdpx(store, folder / "ours.qdpx")
    return f"{summary.codings} codings, {summary.bytes:,} bytes"


def baseline_export(folder: Path) -> str:
    import sqlalchemy as sa

    from earwitness.store.schema import coders, codes, codings, documents

    with _open(folder) as store, store.connect() as connection:
        project = ET.Element(f"{{{NS}}}Project", name="baseline")
        users = ET.SubElement(project, f"{{{NS}}}Users")
        coder_guid = {}
        for row in connection.execute(sa.select(coders)):
            coder_guid[row.id] = row.guid
            ET.SubElement(users, f"{{{NS}}}User", guid=row.guid, name=row.name)
        book = ET.SubElement(ET.SubElement(project, f"{{{NS}}}CodeBook"), f"{{{NS}}}Codes")
        code_guid = {}
        for row in connection.execute(sa.select(codes)):
            code_guid[row.id] = row.guid
            ET.SubElement(book, f"{{{NS}}}Code", guid=row.guid, name=row.name, isCodable="true")
        sources = ET.SubElement(project, f"{{{NS}}}Sources")
        docs = {row.id: row for row in connection.execute(sa.select(documents))}
        source_of = {}
        for row in docs.values():
            source_of[row.id] = ET.SubElement(
                sources,
                f"{{{NS}}}TextSource",
                guid=row.guid,
                plainTextPath=f"internal://{row.guid}.txt",
            )
        for row in connection.execute(sa.select(codings)):
            text = docs[row.document_id].text
            selection = ET.SubElement(
                source_of[row.document_id],
                f"{{{NS}}}PlainTextSelection",
                guid=str(uuid.uuid4()),
                name=text[row.start : row.end][:80],
                startPosition=str(row.start),
                endPosition=str(row.end),
                creatingUser=coder_guid[row.coder_id],
            )
            coding = ET.SubElement(selection, f"{{{NS}}}Coding", guid=row.guid)
            ET.SubElement(coding, f"{{{NS}}}CodeRef", targetGUID=code_guid[row.code_id])
        with zipfile.ZipFile(folder / "baseline.qdpx", "w", zipfile.ZIP_DEFLATED) as archive:
            for row in docs.values():
                archive.writestr(f"Sources/{row.guid}.txt", row.text.encode("utf-8"))
            archive.writestr("project.qde", ET.tostring(project, encoding="utf-8"))
    return f"{(folder / 'baseline.qdpx').stat().st_size:,} bytes"


def ours_import(folder: Path) -> str:
    from earwitness.code.refi._exchange import import_qdpx
    from earwitness.study import init_study

    target = init_study(folder / f"import-{uuid.uuid4().hex[:6]}", name="import")
    with target.open_store() as store:
        summary = import_qdpx(store, folder / "ours.qdpx")
    return f"{summary.codings_new} codings, unit {summary.offset_unit}"


def baseline_import(folder: Path) -> str:
    with zipfile.ZipFile(folder / "ours.qdpx") as archive:
        root = ET.fromstring(archive.read("project.qde"))
        texts = {
            name: archive.read(name).decode("utf-8-sig")
            for name in archive.namelist()
            if name.startswith("Sources/")
        }
    count = 0
    for source in root.iter(f"{{{NS}}}TextSource"):
        text = texts[f"Sources/{source.get('guid')}.txt"]
        for selection in source.iter(f"{{{NS}}}PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            count += len(text[start:end]) >= 0
    return f"{count} selections parsed"


def idle(folder: Path) -> str:
    import earwitness.code.refi._exchange  # noqa: F401  (same imports as the measured steps)

    return "imports only"


def _child(step: Callable[[Path], str], folder: Path, queue: Any) -> None:
    import earwitness.code.refi._exchange  # noqa: F401  (every step starts from the same imports)

    started = time.perf_counter()
    note = step(folder)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((elapsed, peak_kib / 1024, note))


def measure(step: Callable[[Path], str], folder: Path) -> tuple[float, float, str]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(step, folder, queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        build(folder, args.codings)
        built_s = time.perf_counter() - started
        print(f"built SYNTHETIC study: {args.codings:,} codings in {built_s:.1f} s")
        _idle_s, idle_mib, _ = measure(idle, folder)
        print(f"idle process (imports only): peak RSS {idle_mib:.0f} MiB")
        for label, ours, baseline in (
            ("export", ours_export, baseline_export),
            ("import", ours_import, baseline_import),
        ):
            ours_s, ours_mib, ours_note = measure(ours, folder)
            base_s, base_mib, base_note = measure(baseline, folder)
            print(
                f"{label}: earwitness {ours_s:.2f} s, peak RSS {ours_mib:.0f} MiB ({ours_note})\n"
                f"{label}: baseline zipfile+ElementTree {base_s:.2f} s, peak RSS "
                f"{base_mib:.0f} MiB ({base_note})\n"
                f"{label}: time ratio earwitness/baseline {ours_s / base_s:.2f}, "
                f"memory ratio {ours_mib / base_mib:.2f}"
            )


if __name__ == "__main__":
    main()
