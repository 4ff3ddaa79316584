"""The polite client against a real local server: robots.txt, delays, backoff, faults."""

from __future__ import annotations

import itertools
import json

import pytest

from earwitness import __version__
from earwitness.collect._http import (
    FakeTransport,
    HttpError,
    HttpStatusError,
    HttpxTransport,
    MalformedResponseError,
    PoliteClient,
    RateLimitedError,
    RobotsDisallowedError,
    TransportError,
    TruncatedBodyError,
)
from earwitness.errors import EarwitnessError
from earwitness.study import Study
from tests.collect.server import LocalServer, Reply, VirtualClock

CONTACT = "researcher@example.org"
ROBOTS = "User-agent: *\nDisallow: /private/\n"


def _client(**kw: object) -> PoliteClient:
    options: dict[str, object] = {"contact": CONTACT, "host_delay_s": 0.05, "backoff_s": 0.05}
    options.update(kw)
    return PoliteClient(HttpxTransport(), **options)  # type: ignore[arg-type]


def _timed_client(server: LocalServer, clock: VirtualClock, **kw: object) -> PoliteClient:
    """A client whose waits move a virtual clock that also stamps the server's log."""
    server.clock = clock.monotonic
    return _client(sleep=clock.sleep, clock=clock.monotonic, **kw)


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    local_server.route("/robots.txt", Reply(body=ROBOTS, headers={"Content-Type": "text/plain"}))
    return local_server


def test_user_agent_names_earwitness_version_and_contact(server: LocalServer) -> None:
    server.route("/ok.json", Reply(body='{"ok": true}'))
    assert _client().get_json(server.url + "/ok.json") == {"ok": True}
    agents = {hit.headers["User-Agent"] for hit in server.hits}
    assert agents == {f"earwitness/{__version__} (academic research; +{CONTACT})"}


def test_robots_disallow_is_obeyed_without_requesting(server: LocalServer) -> None:
    client = _client()
    with pytest.raises(RobotsDisallowedError, match=r"/private/page: robots.txt of .* disallows"):
        client.get(server.url + "/private/page")
    assert server.paths() == ["/robots.txt"]


def test_redirect_into_a_disallowed_path_is_not_followed(server: LocalServer) -> None:
    server.route("/go", Reply(302, headers={"Location": "/private/x"}))
    with pytest.raises(RobotsDisallowedError):
        _client().get(server.url + "/go")
    assert "/private/x" not in server.paths()


def test_robots_for_earwitness_and_crawl_delay(
    local_server: LocalServer, virtual_clock: VirtualClock
) -> None:
    local_server.route(
        "/robots.txt",
        Reply(body="User-agent: earwitness\nCrawl-delay: 1\nDisallow: /no\n\nUser-agent: *\n"),
    )
    local_server.route("/yes", Reply(body="<html></html>"))
    client = _timed_client(local_server, virtual_clock)
    client.get(local_server.url + "/yes")
    client.get(local_server.url + "/yes")
    with pytest.raises(RobotsDisallowedError):
        client.get(local_server.url + "/no")
    first, second = (hit.at for hit in local_server.hits if hit.path == "/yes")
    assert second - first >= 1.0


def test_robots_missing_allows_and_forbidden_disallows(local_server: LocalServer) -> None:
    local_server.route("/a", Reply(body="<html>a</html>"))
    assert "a" in _client().get_html(local_server.url + "/a")
    local_server.route("/robots.txt", Reply(403))
    with pytest.raises(RobotsDisallowedError):
        _client().get(local_server.url + "/a")


def test_requests_to_one_host_are_spaced(server: LocalServer, virtual_clock: VirtualClock) -> None:
    server.route("/p", Reply(body="x"))
    client = _timed_client(server, virtual_clock, host_delay_s=0.25)
    for _ in range(3):
        client.get(server.url + "/p")
    times = [hit.at for hit in server.hits]  # robots.txt, then three pages
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.25 for gap in gaps), gaps
    assert client.stats.delay_s == pytest.approx(3 * 0.25)


def test_429_honours_retry_after(server: LocalServer, virtual_clock: VirtualClock) -> None:
    server.route("/busy", Reply(429, headers={"Retry-After": "1"}), Reply(body="done"))
    client = _timed_client(server, virtual_clock)
    started = virtual_clock.monotonic()
    assert client.get(server.url + "/busy").text == "done"
    assert virtual_clock.monotonic() - started >= 1.0
    assert client.stats.wait_s == 1.0
    assert client.stats.retries == 1


def test_429_honours_discourse_wait_seconds(
    server: LocalServer, virtual_clock: VirtualClock
) -> None:
    body = json.dumps(
        {
            "errors": ["You've performed this action too many times."],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 1, "time_left": "1 second"},
        }
    )
    server.route("/latest.json", Reply(429, body), Reply(body='{"topic_list": {}}'))
    client = _timed_client(server, virtual_clock)
    assert client.get_json(server.url + "/latest.json") == {"topic_list": {}}
    busy, ok = (hit.at for hit in server.hits if hit.path == "/latest.json")
    assert ok - busy >= 1.0
    assert client.stats.wait_s == 1.0


def test_retry_after_longer_than_we_accept_fails_at_once(server: LocalServer) -> None:
    server.route("/later", Reply(429, headers={"Retry-After": "3600"}))
    client = _client(max_wait_s=60)
    with pytest.raises(RateLimitedError, match="asks to wait 3600 s"):
        client.get(server.url + "/later")
    assert client.stats.wait_s == 0


def test_5xx_backs_off_then_succeeds(server: LocalServer) -> None:
    server.route("/flaky", Reply(500), Reply(503), Reply(body="fine"))
    client = _client(backoff_s=0.1)
    assert client.get(server.url + "/flaky").text == "fine"
    assert client.stats.retries == 2
    assert client.stats.wait_s == pytest.approx(0.1 + 0.2)


def test_persistent_5xx_fails_naming_the_url(server: LocalServer) -> None:
    server.route("/down", Reply(500))
    with pytest.raises(HttpStatusError) as error:
        _client(max_retries=2).get(server.url + "/down")
    assert str(error.value) == f"{server.url}/down: HTTP 500 after 3 attempts"
    assert server.paths().count("/down") == 3


def test_timeout_is_retried_then_reported(server: LocalServer) -> None:
    server.route("/slow", Reply(body="late", delay_s=1.0), Reply(body="quick"))
    client = _client(timeout_s=0.3)
    assert client.get(server.url + "/slow").text == "quick"
    server.route("/stuck", Reply(body="late", delay_s=1.0))
    with pytest.raises(HttpError, match=r"/stuck: timed out after 0.3 s \(after 2 attempts\)"):
        _client(timeout_s=0.3, max_retries=1).get(server.url + "/stuck")


def test_truncated_body_is_reported(server: LocalServer) -> None:
    server.route("/cut.json", Reply(body='{"post_stream": {"posts": [', truncate=True))
    with pytest.raises(TruncatedBodyError, match=r"/cut.json: truncated response"):
        _client(max_retries=1).get_json(server.url + "/cut.json")


def test_malformed_json_and_html_are_reported(server: LocalServer) -> None:
    server.route("/bad.json", Reply(body='{"topic_list": {"topics": [}'))
    with pytest.raises(MalformedResponseError, match=r"/bad.json: malformed JSON \(.* line 1"):
        _client().get_json(server.url + "/bad.json")
    server.route("/page", Reply(body='{"not": "html"}'))
    with pytest.raises(MalformedResponseError, match="/page: not an HTML page"):
        _client().get_html(server.url + "/page")


def test_404_is_a_status_error(server: LocalServer) -> None:
    with pytest.raises(HttpStatusError) as error:
        _client().get(server.url + "/t/gone")
    assert error.value.status == 404
    assert server.paths().count("/t/gone") == 1


def test_every_response_is_kept_with_secrets_removed(server: LocalServer) -> None:
    server.route(
        "/s",
        Reply(500),
        Reply(body="ok", headers={"Set-Cookie": "session=abc", "X-Thing": "1"}),
    )
    client = _client()
    client.get(server.url + "/s")
    kept = client.drain()
    assert [(r.url.rsplit("/", 1)[-1], r.status) for r in kept] == [
        ("robots.txt", 200),
        ("s", 500),
        ("s", 200),
    ]
    names = {name.lower(): value for name, value in kept[-1].headers.items()}
    assert "set-cookie" not in names and names["x-thing"] == "1"
    assert client.drain() == []


def test_the_product_never_goes_below_one_second(study: Study) -> None:
    study.settings.update(contact=CONTACT, host_delay_s=0.2)
    assert PoliteClient.for_study(study, FakeTransport()).host_delay_s == 1.0
    study.settings.update(host_delay_s=2.5)
    assert PoliteClient.for_study(study, FakeTransport()).host_delay_s == 2.5
    study.settings.update(contact="")
    with pytest.raises(EarwitnessError, match="set `contact`"):
        PoliteClient.for_study(study, FakeTransport())


def test_fake_transport_and_injected_clock_space_hosts_independently() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    transport = FakeTransport(
        {
            "https://a.example/robots.txt": [(404, "")],
            "https://b.example/robots.txt": [(404, "")],
            "https://a.example/1": [(200, "a1")],
            "https://b.example/1": [(200, "b1")],
            "https://a.example/2": [TransportError("boom"), (200, "a2")],
        }
    )
    client = PoliteClient(
        transport,
        contact=CONTACT,
        host_delay_s=1.0,
        backoff_s=4.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert client.get("https://a.example/1").text == "a1"
    assert client.get("https://b.example/1").text == "b1"
    assert client.get("https://a.example/2").text == "a2"
    # a: robots, /1 after 1 s; b: robots, /1 after 1 s; a/2 (fails), backoff 4 s, then a/2 again
    assert slept == [1.0, 1.0, 4.0]
    assert [url for url, _ in transport.requests] == [
        "https://a.example/robots.txt",
        "https://a.example/1",
        "https://b.example/robots.txt",
        "https://b.example/1",
        "https://a.example/2",
        "https://a.example/2",
    ]
