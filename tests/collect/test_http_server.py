"""The one local test server behaves as the collect tests assume."""

from __future__ import annotations

import httpx
import pytest

from tests.collect.server import LocalServer, Reply, VirtualClock


def test_local_server_replies_in_order_and_logs(local_server: LocalServer) -> None:
    local_server.route("/a?x=[1]", Reply(500, "first"), Reply(200, "then"))
    replies = [httpx.get(local_server.url + "/a?x=%5B1%5D").text for _ in range(3)]
    assert replies == ["first", "then", "then"]
    assert httpx.get(local_server.url + "/missing").status_code == 404
    assert local_server.paths() == ["/a?x=[1]"] * 3 + ["/missing"]


def test_local_server_truncates_when_asked(local_server: LocalServer) -> None:
    local_server.route("/t", Reply(body="short", truncate=True))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(local_server.url + "/t")


def test_parameter_routes_faults_and_handlers(local_server: LocalServer) -> None:
    local_server.add_json("GET", "/r/new", {"page": 1})
    local_server.add_json("GET", "/r/new/", {"page": 2}, after="t3_x")
    local_server.add_json("POST", "/token", {"token": "t"})
    assert httpx.get(local_server.url + "/r/new?limit=5").json() == {"page": 1}
    assert httpx.get(local_server.url + "/r/new?after=t3_x&limit=5").json() == {"page": 2}
    assert httpx.post(local_server.url + "/token", data={"a": "b"}).json() == {"token": "t"}
    local_server.fail_next("/r/new", Reply(503, "down"))
    assert httpx.get(local_server.url + "/r/new").status_code == 503
    assert httpx.get(local_server.url + "/r/new").status_code == 200
    local_server.handlers.append(("/h/", lambda path, _params: Reply(body=path)))
    assert httpx.get(local_server.url + "/h/7").text == "/h/7"
    assert local_server.requests_to("/r/new") == 4
    assert [hit.status for hit in local_server.hits][-3:] == [503, 200, 200]


def test_hits_are_stamped_by_the_server_clock(local_server: LocalServer) -> None:
    clock = VirtualClock()
    local_server.clock = clock.monotonic
    local_server.route("/p", Reply(body="x"))
    httpx.get(local_server.url + "/p")
    clock.sleep(2.5)
    httpx.get(local_server.url + "/p")
    first, second = (hit.at for hit in local_server.hits)
    assert second - first == 2.5
