"""Write RC_SIMULATED_demo.ndjson.zst: simulated Reddit comments in the Pushshift layout.

SIMULATED forum talk for the earwitness demo: every comment below was written for the
demo (no real post, no real user), so that `earwitness collect dump`, machine
suggestions, stance toward tools and user-group evidence have something to work on.
Run `python make_dump.py` to make the same file again.
"""

from __future__ import annotations

import json
from pathlib import Path

import zstandard

COMMENTS = [
    (
        "sim_hobbyist_1",
        "Just a hobbyist here. LANDR made my bedroom tracks loud enough for Spotify and it was cheap.",
    ),
    (
        "sim_hobbyist_1",
        "Honestly LANDR is fine for demos, but the low end gets muddy on anything with a big 808.",
    ),
    (
        "sim_engineer_2",
        "I'm a professional mastering engineer and eMastered keeps crushing the transients on acoustic stuff.",
    ),
    (
        "sim_engineer_2",
        "Ozone's assistant is a decent starting point, then I turn the limiter way down.",
    ),
    (
        "sim_proam_3",
        "I do some paid mixing on the side. matchering with a good reference track gets me 80% there.",
    ),
    ("sim_proam_3", "Wish RoEx would show what EQ it applied, it's a black box right now."),
    (
        "sim_student_4",
        "Learning to master by comparing my own master with what Ozone does. Great teacher tbh.",
    ),
    (
        "sim_student_4",
        "CloudBounce sounded harsh on my lofi beat, maybe it just doesn't get the genre.",
    ),
    (
        "sim_engineer_5",
        "Been mastering for a living for 20 years. These services will take the cheap jobs, not the albums.",
    ),
    (
        "sim_engineer_5",
        "Neutron's mix assistant is useful for rough balances, I'd never ship its settings though.",
    ),
    (
        "sim_hobbyist_6",
        "BandLab Mastering is free and honestly good enough for my SoundCloud uploads.",
    ),
    (
        "sim_hobbyist_6",
        "Tried Masterchannel and LANDR on the same song, Masterchannel was less harsh.",
    ),
    ("sim_proam_7", "Smart:EQ saved me time on vocals but I still fix the highs by hand."),
    ("sim_proam_7", "I'd pay for LANDR if it let me upload a reference and tweak the bass."),
    (
        "sim_engineer_8",
        "Clients send me their AI master as a loudness reference, which is actually useful.",
    ),
    ("sim_engineer_8", "The AI masters all sound the same to me: bright, loud and flat."),
]


def main() -> None:
    lines = []
    for number, (author, body) in enumerate(COMMENTS):
        lines.append(
            {
                "id": f"sim{number:03d}",
                "author": author,
                "body": f"{body} [SIMULATED]",
                "subreddit": "mixingmastering",
                "link_id": f"t3_simthread{number // 4}",
                "parent_id": f"t3_simthread{number // 4}",
                "created_utc": 1_767_225_600 + 3600 * number,
                "score": 1 + (7 * number) % 23,
                "retrieved_on": 1_767_312_000,
                "author_flair_text": None,
                "simulated": True,
            }
        )
    payload = "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")
    out = Path(__file__).with_name("RC_SIMULATED_demo.ndjson.zst")
    out.write_bytes(zstandard.ZstdCompressor(level=19).compress(payload))
    print(out)


if __name__ == "__main__":
    main()
