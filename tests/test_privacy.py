from __future__ import annotations

import hashlib
import hmac

import pytest

from earwitness.privacy import Masker, pseudonym, redact_headers, redact_url

KEY = bytes(range(32))


def test_hmac_sha256_matches_rfc4231_test_case_2() -> None:
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert (
        hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() == expected
    )
    assert pseudonym("what do ya want for nothing?", b"Jefe") == "p_" + expected[:10]


def test_pseudonym_is_stable_short_and_keyed() -> None:
    first = pseudonym("MixEngineer42", KEY)
    assert first == pseudonym("MixEngineer42", KEY)
    assert first.startswith("p_") and len(first) == 12
    assert first != pseudonym("MixEngineer42", bytes(32))
    assert first != pseudonym("MixEngineer43", KEY)


@pytest.mark.parametrize(
    "variant", ["mixengineer42", "u/MixEngineer42", "/u/MixEngineer42", "@MixEngineer42"]
)
def test_pseudonym_ignores_case_and_prefixes(variant: str) -> None:
    assert pseudonym(variant, KEY) == pseudonym("MixEngineer42", KEY)


def test_pseudonym_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        pseudonym("someone", b"")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+mix@studio.co.uk please", "mail me at [email] please"),
        ("call +44 20 7946 0958 tomorrow", "call [phone] tomorrow"),
        ("or (555) 123-4567", "or [phone]"),
        ("server 192.168.1.20 was down", "server [ip] was down"),
        ("ipv6 2001:db8:85a3::8a2e:370:7334 too", "ipv6 [ip] too"),
        ("see https://www.reddit.com/user/SomeoneReal/ for more", "see [profile-url] for more"),
        ("my mixes: soundcloud.com/someartist", "my mixes: [profile-url]"),
    ],
)
def test_masker_masks_personal_data(text: str, expected: str) -> None:
    assert Masker().mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I mastered it to -14 LUFS at 44100 Hz in 2023",
        "the 1176 and the LA-2A on 3 tracks",
        "version 1.2.3 of the plugin costs $149.99",
        "-1.0 dBTP ceiling, 10-20 kHz air",
        "released 2023-11-21, remastered 21.11.2024",
    ],
)
def test_masker_leaves_audio_talk_alone(text: str) -> None:
    assert Masker().mask(text) == text


def test_mentions_become_pseudonyms_with_a_key() -> None:
    masked = Masker(KEY).mask("thanks u/GoldenEars and @beatmaker_99!")
    assert "GoldenEars" not in masked and "beatmaker_99" not in masked
    assert f"u/{pseudonym('GoldenEars', KEY)}" in masked
    assert f"@{pseudonym('beatmaker_99', KEY)}" in masked
    assert Masker().mask("hi u/GoldenEars") == "hi u/[user]"


def test_redaction_removes_credentials() -> None:
    headers = {
        "Authorization": "bearer abc",
        "Cookie": "session=1",
        "Set-Cookie": "loid=abc; Domain=reddit.com",
        "set-cookie": "edgebucket=xyz",
        "Proxy-Authorization": "Basic Zm9v",
        "X-Api-Key": "k",
        "Content-Type": "application/json",
        "x-ratelimit-remaining": "99",
    }
    assert redact_headers(headers) == {
        "Content-Type": "application/json",
        "x-ratelimit-remaining": "99",
    }
    url = redact_url("https://user:pw@api.example.org/r/x.json?limit=100&access_token=zz&api_key=k")
    assert url == "https://api.example.org/r/x.json?limit=100"
