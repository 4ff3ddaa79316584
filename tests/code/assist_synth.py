# ruff: noqa: E501
"""SYNTHETIC forum posts about AI mixing and mastering, labelled with theme and stance.

Every text here is generated from templates for tests and benchmarks; none is a real
post. Documents carry ``extra={"synthetic": True}`` and the platform ``synthetic``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from earwitness.store import DocumentRecord, Store, ensure_coder, ensure_participant
from earwitness.store import upsert_document as upsert
from earwitness.store.schema import codes, codings, segments

TOOLS = ["LANDR", "eMastered", "CloudBounce", "Ozone", "matchering", "RoEx", "smart:EQ"]
GENRES = ["metal", "lo-fi", "techno", "folk", "hip hop", "jazz", "pop punk", "ambient"]
MEDIA = ["my car", "earbuds", "the club system", "studio monitors", "a phone speaker"]

# theme -> (definition, [(template, stance)])
THEMES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "perceived quality": (
        "How good or bad the sound of an AI master or mix is judged to be: loudness, "
        "clarity, harshness, punch, tonal balance.",
        [
            (
                "The {tool} master of my {genre} track sounded harsh and squashed on {medium}.",
                "negative",
            ),
            (
                "Honestly {tool} made the {genre} mix sound punchy and clear on {medium}.",
                "positive",
            ),
            (
                "{tool} pushed the loudness way too far, the transients in my {genre} song are gone.",
                "negative",
            ),
            ("The low end after {tool} was tight and balanced, even on {medium}.", "positive"),
            (
                "Compared the {tool} master with a human one on {medium}: the human one had more depth.",
                "negative",
            ),
        ],
    ),
    "cost": (
        "Money: subscription prices, fees per track, paying an engineer versus paying for "
        "a service, value for money.",
        [
            ("{tool} costs less per month than one track from a mastering engineer.", "positive"),
            (
                "I can't afford a real engineer for every {genre} single, so {tool} it is, price wise.",
                "neutral",
            ),
            (
                "The {tool} subscription got too expensive for the number of releases I do.",
                "negative",
            ),
            ("Paying per track on {tool} adds up fast when you release a {genre} EP.", "negative"),
            (
                "For the price of a coffee {tool} gives you a master, that is good value.",
                "positive",
            ),
        ],
    ),
    "control and transparency": (
        "Being able to see, adjust and understand what the AI does to the audio, versus a "
        "black box with few settings.",
        [
            ("{tool} is a black box, I have no idea what it did to my {genre} mix.", "negative"),
            (
                "I wish {tool} let me tweak the compressor settings instead of three presets.",
                "negative",
            ),
            (
                "What I like about {tool} is that it shows every EQ move and I can adjust it.",
                "positive",
            ),
            (
                "You can't undo the limiter that {tool} applies, there are no controls for it.",
                "negative",
            ),
            (
                "{tool} gives me a starting point and then full control over every module.",
                "positive",
            ),
        ],
    ),
    "fear of replacement": (
        "Worry that AI tools will replace mixing and mastering engineers or devalue their "
        "craft and income.",
        [
            (
                "Mastering engineers will be out of work in ten years because of tools like {tool}.",
                "negative",
            ),
            ("Clients now ask why they should pay me when {tool} exists, it is scary.", "negative"),
            (
                "AI will never replace a good engineer, {tool} just handles the cheap jobs.",
                "neutral",
            ),
            ("My studio lost two {genre} clients to automated mastering this year.", "negative"),
            (
                "People fear {tool} takes our jobs, but the craft of engineering will survive.",
                "mixed",
            ),
        ],
    ),
    "workflow integration": (
        "How AI tools fit into the working process: as a reference, a first pass, part of "
        "the DAW session, speed and turnaround.",
        [
            (
                "I run {tool} as a quick reference before I send the {genre} mix to my engineer.",
                "neutral",
            ),
            ("{tool} saves me hours, I master demos in a minute and move on.", "positive"),
            ("Bouncing stems out to {tool} and back breaks my workflow every time.", "negative"),
            ("I use {tool} for a first pass and then fine tune the master in my DAW.", "positive"),
            (
                "Uploading to {tool} is fast but the {genre} mix comes back without session notes.",
                "mixed",
            ),
        ],
    ),
}

STANCE_EXTRA = [
    ("{tool} is great for quick demos but terrible for a real release.", "mixed"),
    ("I love {tool}, it is brilliant.", "positive"),
    ("{tool} is awful and I hate it.", "negative"),
    ("I tried {tool} once last year.", "neutral"),
]


@dataclass(frozen=True)
class SynthPost:
    text: str
    theme: str
    stance: str
    tool: str
    author: str
    group: str
    authored_at: datetime


def posts(n: int, *, seed: int = 7) -> Iterator[SynthPost]:
    """``n`` labelled synthetic posts, reproducible for a seed."""
    rng = random.Random(seed)
    themes = list(THEMES)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(n):
        theme = themes[i % len(themes)]
        template, stance = rng.choice(THEMES[theme][1])
        tool = rng.choice(TOOLS)
        text = template.format(tool=tool, genre=rng.choice(GENRES), medium=rng.choice(MEDIA))
        author = f"synthetic_author_{rng.randrange(max(n // 4, 1))}"
        group = ("amateur", "pro-am", "professional")[int(author.rsplit("_", 1)[1]) % 3]
        yield SynthPost(
            text=text,
            theme=theme,
            stance=stance,
            tool=tool,
            author=author,
            group=group,
            authored_at=start + timedelta(days=i % 365),
        )


def add_codebook(store: Store, *, examples: int = 2) -> dict[str, int]:
    """Insert one code per synthetic theme with its definition and example quotes."""
    ids: dict[str, int] = {}
    with store.transaction() as connection:
        for position, (name, (definition, templates)) in enumerate(THEMES.items()):
            quotes = [
                t.format(tool="the service", genre="rock", medium="headphones")
                for t, _ in templates[:examples]
            ]
            result = connection.execute(
                codes.insert().values(
                    guid=f"00000000-0000-4000-8000-{position:012d}",
                    name=name,
                    definition=definition,
                    examples=quotes,
                    position=position,
                    extra={"synthetic": True},
                )
            )
            ids[name] = int(result.inserted_primary_key[0])
    return ids


def add_posts(store: Store, items: list[SynthPost], *, prefix: str = "synthetic") -> list[int]:
    """Store posts as documents with one 'post' segment each; return the segment ids."""
    segment_ids: list[int] = []
    with store.transaction() as connection:
        for i, post in enumerate(items):
            participant = ensure_participant(connection, post.author)
            document_id, _ = upsert(
                connection,
                DocumentRecord(
                    platform="synthetic",
                    native_id=f"{prefix}-{i}",
                    text=post.text,
                    participant_id=participant,
                    authored_at=post.authored_at,
                    extra={"synthetic": True},
                ),
            )
            result = connection.execute(
                segments.insert().values(
                    document_id=document_id, start=0, end=len(post.text), kind="post"
                )
            )
            segment_ids.append(int(result.inserted_primary_key[0]))
    return segment_ids


def code_by_human(
    store: Store,
    items: list[SynthPost],
    segment_ids: list[int],
    code_ids: dict[str, int],
    coder: str,
    *,
    flip_every: int = 0,
) -> None:
    """A human coder applies each post's theme (disagreeing on every ``flip_every``-th)."""
    names = list(code_ids)
    with store.transaction() as connection:
        coder_id = ensure_coder(connection, coder)
        rows = []
        for i, (post, segment_id) in enumerate(zip(items, segment_ids, strict=True)):
            theme = post.theme
            if flip_every and i % flip_every == 0:
                theme = names[(names.index(theme) + 1) % len(names)]
            document_id = connection.execute(
                sa.select(segments.c.document_id).where(segments.c.id == segment_id)
            ).scalar_one()
            rows.append(
                {
                    "guid": str(uuid.uuid4()),
                    "document_id": document_id,
                    "segment_id": segment_id,
                    "start": 0,
                    "end": len(post.text),
                    "code_id": code_ids[theme],
                    "coder_id": coder_id,
                    "origin": "human",
                    "status": "applied",
                }
            )
        connection.execute(codings.insert(), rows)


# --- corpus-scale posts (issue 26) -----------------------------------------------------

_FILLER = [
    "I have been producing {genre} for about six years now.",
    "The session was recorded in a small room with cheap mics.",
    "We released the EP last spring on the usual platforms.",
    "My monitors are nothing special, so I check everything on {medium}.",
    "Anyway, the vocals sat fine after some automation.",
    "Curious what others here think about this.",
]


def forum_texts(n: int, *, seed: int = 11) -> Iterator[tuple[str, str]]:
    """``n`` SYNTHETIC forum posts as (text, author): about half are one short sentence,
    the others two or three paragraphs of several sentences (longer than a tweet, so they
    are cut into paragraphs and sentences); most name one or two tools."""
    rng = random.Random(seed)
    templates = [t for _, (_, items) in THEMES.items() for t, _ in items] + [
        t for t, _ in STANCE_EXTRA
    ]
    for i in range(n):
        author = f"synthetic_author_{rng.randrange(max(n // 4, 1))}"

        def sentence() -> str:
            template = rng.choice(templates if rng.random() < 0.6 else _FILLER)
            return template.format(
                tool=rng.choice(TOOLS), genre=rng.choice(GENRES), medium=rng.choice(MEDIA)
            )

        if rng.random() < 0.5:
            text = sentence()
        else:
            paragraphs = [
                " ".join(sentence() for _ in range(rng.randint(2, 4)))
                for _ in range(rng.randint(2, 3))
            ]
            text = "\n\n".join(paragraphs)
        yield f"{text} (synthetic post {i})", author


def add_documents(store: Store, texts: list[tuple[str, str]], *, prefix: str = "synthetic") -> None:
    """Store SYNTHETIC (text, author) posts as documents without segments, in bulk."""
    from earwitness.store.records import ensure_participants, upsert_documents

    for start in range(0, len(texts), 5000):
        chunk = texts[start : start + 5000]
        with store.transaction() as connection:
            ids = ensure_participants(connection, [a for _, a in chunk])
            upsert_documents(
                connection,
                [
                    DocumentRecord(
                        platform="synthetic",
                        native_id=f"{prefix}-{start + i}",
                        text=text,
                        participant_id=ids[author],
                        extra={"synthetic": True},
                    )
                    for i, (text, author) in enumerate(chunk)
                ],
            )
