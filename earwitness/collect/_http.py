"""A polite HTTP client for forums: robots.txt, a per-host delay, backoff, clear errors.

Following the httpx pattern, the client talks to a *transport*: :class:`HttpxTransport`
sends real requests, :class:`FakeTransport` answers from memory for unit tests (the
integration tests use the real transport against a local server).

Politeness, as forum operators ask of crawlers:

* robots.txt is read once per host (``urllib.robotparser``, RFC 9309) and obeyed,
  including ``Crawl-delay``; a disallowed URL is never requested;
* requests to one host are spaced by at least ``host_delay_s`` (the study setting,
  never below 1 s in the product);
* the User-Agent names earwitness, its version and the study's contact address;
* 429 responses wait as long as ``Retry-After`` (RFC 9110 §10.2.3) or Discourse's
  ``extras.wait_seconds`` say; 5xx responses, timeouts and truncated bodies back off
  exponentially, then fail with one line naming the URL.

Every response, including the failed ones, is kept as a :class:`RawResponse` (headers
without secrets) until the collector hands it to the ``ItemWriter`` with its page.
"""

from __future__ import annotations

import json
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from earwitness import __version__
from earwitness.collect._charset import decode_html
from earwitness.collect._items import RawResponse
from earwitness.errors import EarwitnessError
from earwitness.privacy import redact_headers, redact_url

if TYPE_CHECKING:
    from earwitness.study import Study

__all__ = [
    "MIN_HOST_DELAY_S",
    "FakeTransport",
    "HttpError",
    "HttpStatusError",
    "HttpxTransport",
    "MalformedResponseError",
    "PoliteClient",
    "RateLimitedError",
    "Response",
    "RobotsDisallowedError",
    "Transport",
    "TransportError",
    "TruncatedBodyError",
    "user_agent",
]

MIN_HOST_DELAY_S = 1.0
ROBOTS_AGENT = "earwitness"
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_REDIRECTS = {301, 302, 303, 307, 308}


# --- errors ---------------------------------------------------------------------------------


class HttpError(EarwitnessError):
    """A request that could not give usable content; the message names the URL."""

    def __init__(self, url: str, message: str) -> None:
        self.url = redact_url(url)
        super().__init__(f"{self.url}: {message}")


class HttpStatusError(HttpError):
    def __init__(self, url: str, status: int, message: str | None = None) -> None:
        self.status = status
        super().__init__(url, message or f"HTTP {status}")


class RateLimitedError(HttpStatusError):
    """The server keeps refusing, or asks for a longer wait than we accept."""


class RobotsDisallowedError(HttpError):
    """robots.txt does not allow earwitness to fetch this URL."""


class TruncatedBodyError(HttpError):
    """The connection closed before the whole body arrived."""


class MalformedResponseError(HttpError):
    """The body arrived but is not the JSON or HTML it should be."""


class TransportError(Exception):
    """A transport could not complete a request (timeout, connection, truncated body)."""

    def __init__(self, message: str, *, truncated: bool = False, timeout: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated
        self.timeout = timeout


# --- transports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One HTTP response as received."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def text(self) -> str:
        """The body decoded as the HTML standard says (BOM, header, ``<meta>``, default)."""
        return decode_html(self.body, self.header("content-type"))


class Transport(Protocol):
    """Sends one GET request; raises :class:`TransportError` when it cannot."""

    def get(self, url: str, *, headers: Mapping[str, str], timeout_s: float) -> Response: ...


class HttpxTransport:
    """The real transport: an ``httpx.Client`` that does not follow redirects itself."""

    def __init__(self) -> None:
        import httpx

        self._httpx = httpx
        self._client = httpx.Client(follow_redirects=False, trust_env=False)

    def get(self, url: str, *, headers: Mapping[str, str], timeout_s: float) -> Response:
        httpx = self._httpx
        try:
            reply = self._client.get(url, headers=dict(headers), timeout=timeout_s)
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out after {timeout_s:g} s", timeout=True) from exc
        except httpx.RemoteProtocolError as exc:
            raise TransportError(f"truncated response: {exc}", truncated=True) from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return Response(str(reply.url), reply.status_code, dict(reply.headers), reply.content)

    def close(self) -> None:
        self._client.close()


@dataclass
class FakeTransport:
    """An in-memory transport for unit tests: canned replies per URL, in order.

    Each URL maps to a list of replies (a :class:`Response`, a ``(status, body)`` or
    ``(status, body, headers)`` tuple, or an exception to raise); the last reply repeats.
    Unknown URLs answer 404. Every request is recorded in ``requests``.
    """

    routes: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def get(self, url: str, *, headers: Mapping[str, str], timeout_s: float) -> Response:
        self.requests.append((url, dict(headers)))
        replies = self.routes.get(url)
        if not replies:
            return Response(url, 404, {}, b"not found")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, Response):
            return reply
        status, body, *rest = reply
        data = body.encode("utf-8") if isinstance(body, str) else body
        return Response(url, status, dict(rest[0]) if rest else {}, data)


# --- the client -----------------------------------------------------------------------------


def user_agent(contact: str) -> str:
    """The User-Agent every request carries: earwitness, its version, the contact."""
    return f"earwitness/{__version__} (academic research; +{contact})"


@dataclass
class ClientStats:
    requests: int = 0
    wait_s: float = 0.0
    delay_s: float = 0.0
    retries: int = 0


class PoliteClient:
    """GETs pages politely; see the module docstring for what polite means here."""

    def __init__(
        self,
        transport: Transport,
        *,
        contact: str,
        host_delay_s: float = MIN_HOST_DELAY_S,
        timeout_s: float = 30.0,
        max_retries: int = 4,
        backoff_s: float = 2.0,
        max_wait_s: float = 600.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not contact.strip():
            raise EarwitnessError(
                "set `contact` (an e-mail address or URL) in earwitness.toml: forum "
                "operators must be able to reach whoever collects from their site"
            )
        self.transport = transport
        self.user_agent = user_agent(contact.strip())
        self.host_delay_s = host_delay_s
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.stats = ClientStats()
        # resolved here, not as defaults, so a test can stand a virtual clock in for `time`
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._responses: list[RawResponse] = []
        self._crawl_delays: dict[str, float] = {}

    @classmethod
    def for_study(cls, study: Study, transport: Transport | None = None) -> PoliteClient:
        """The product's client: the study's contact and host delay, never under 1 s."""
        delay = max(MIN_HOST_DELAY_S, float(study.setting("host_delay_s") or 0.0))
        return cls(
            transport or HttpxTransport(),
            contact=str(study.setting("contact") or ""),
            host_delay_s=delay,
        )

    # --- public ----------------------------------------------------------------------

    def get(self, url: str, *, accept: str = "*/*") -> Response:
        """GET ``url`` (following redirects, each checked against robots.txt)."""
        for _ in range(6):
            self._check_robots(url)
            response = self._get_with_retries(url, accept)
            location = response.header("location")
            if response.status in _REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if response.status >= 400:
                raise HttpStatusError(url, response.status)
            return response
        raise HttpError(url, "too many redirects")

    def get_json(self, url: str) -> Any:
        response = self.get(url, accept="application/json")
        try:
            return json.loads(response.text)
        except json.JSONDecodeError as exc:
            raise MalformedResponseError(
                url, f"malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            ) from None

    def get_html(self, url: str) -> str:
        response = self.get(url, accept="text/html,application/xhtml+xml")
        text = response.text
        head = text.lstrip()[:1024].lower()
        markers = ("<html", "<!doctype html", "<head", "<body")
        if not any(marker in head for marker in markers):
            raise MalformedResponseError(url, "not an HTML page")
        return text

    def drain(self) -> list[RawResponse]:
        """The responses received since the last drain, for the page's raw archive."""
        taken, self._responses = self._responses, []
        return taken

    # --- politeness ------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is None:
            parser = self._read_robots(origin)
            self._robots[origin] = parser
        if not parser.can_fetch(ROBOTS_AGENT, url):
            raise RobotsDisallowedError(url, f"robots.txt of {parts.netloc} disallows it")

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        response = self._get_with_retries(origin + "/robots.txt", "text/plain")
        if response.status in (401, 403):
            parser.parse(["User-agent: *", "Disallow: /"])  # as RobotFileParser.read does
        elif response.status >= 400 or response.status in _REDIRECTS:
            parser.parse([])
        else:
            parser.parse(response.text.splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay is not None:
            self._crawl_delays[urlsplit(origin).netloc] = float(delay)
        return parser

    def _wait_for_host(self, host: str) -> None:
        delay = max(self.host_delay_s, self._crawl_delays.get(host, 0.0))
        last = self._last_request.get(host)
        if last is not None:
            remaining = last + delay - self._clock()
            if remaining > 0:
                self._sleep(remaining)
                self.stats.delay_s += remaining
        self._last_request[host] = self._clock()

    def _get_with_retries(self, url: str, accept: str) -> Response:
        host = urlsplit(url).netloc
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        attempt = 0
        while True:
            self._wait_for_host(host)
            self.stats.requests += 1
            try:
                response = self.transport.get(url, headers=headers, timeout_s=self.timeout_s)
            except TransportError as exc:
                if attempt >= self.max_retries:
                    error = TruncatedBodyError if exc.truncated else HttpError
                    raise error(url, f"{exc} (after {attempt + 1} attempts)") from None
                self._back_off(url, self.backoff_s * 2**attempt)
                attempt += 1
                continue
            self._keep(response)
            if response.status not in _RETRY_STATUSES:
                return response
            if attempt >= self.max_retries:
                kind = RateLimitedError if response.status == 429 else HttpStatusError
                message = f"HTTP {response.status} after {attempt + 1} attempts"
                raise kind(url, response.status, message)
            self._back_off(url, self._retry_after(response, attempt))
            attempt += 1

    def _retry_after(self, response: Response, attempt: int) -> float:
        header = response.header("retry-after")
        if header:
            wait = _parse_retry_after(header)
            if wait is not None:
                return wait
        if response.status == 429:
            wait_seconds = _discourse_wait_seconds(response.body)
            if wait_seconds is not None:
                return wait_seconds
        return self.backoff_s * 2**attempt

    def _back_off(self, url: str, wait_s: float) -> None:
        if wait_s > self.max_wait_s:
            raise RateLimitedError(
                url,
                429,
                f"the server asks to wait {wait_s:.0f} s (more than {self.max_wait_s:.0f} s); "
                "try again later",
            )
        self.stats.retries += 1
        self.stats.wait_s += wait_s
        self._sleep(wait_s)

    def _keep(self, response: Response) -> None:
        self._responses.append(
            RawResponse(
                url=redact_url(response.url),
                status=response.status,
                headers=_archive_headers(response.headers),
                body=response.body,  # the bytes as received; the archive keeps them
            )
        )


def _archive_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers without credentials; cookies are dropped whatever their spelling."""
    kept = redact_headers(dict(headers))
    return {k: v for k, v in kept.items() if "cookie" not in k.lower()}


def _parse_retry_after(value: str) -> float | None:
    """Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _discourse_wait_seconds(body: bytes) -> float | None:
    """Discourse's 429 body: ``{"error_type": "rate_limit", "extras": {"wait_seconds": N}}``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    extras = data.get("extras") if isinstance(data, dict) else None
    wait = extras.get("wait_seconds") if isinstance(extras, dict) else None
    return float(wait) if isinstance(wait, int | float) and wait >= 0 else None
