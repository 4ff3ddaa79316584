from __future__ import annotations

import io

from earwitness.progress import ProgressReporter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressReporter("collecting", total=3, stream=stream, interval_s=0) as reporter:
        for _ in range(3):
            reporter.advance(requests=2)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("collecting: 1/3 …")
    assert lines[-1].startswith("collecting: 3/3 done")
    assert "requests 2" in lines[-1]
    assert "\x1b[" not in stream.getvalue()


def test_plain_lines_are_rate_limited() -> None:
    stream = io.StringIO()
    with ProgressReporter("measuring", total=1000, stream=stream, interval_s=3600) as reporter:
        for _ in range(1000):
            reporter.advance()
    assert len(stream.getvalue().splitlines()) == 2  # the first and the final line


def test_a_rich_bar_on_a_terminal() -> None:
    stream = _Terminal()
    with ProgressReporter("segmenting", total=2, stream=stream) as reporter:
        assert reporter._rich is not None
        reporter.advance()
        reporter.advance()
    assert reporter.completed == 2
