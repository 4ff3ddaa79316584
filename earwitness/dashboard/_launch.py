"""``python -m earwitness.dashboard._launch run APP --options``: ``streamlit run`` with
nothing that reaches the network at run time.

Streamlit looks up the machine's external address (an HTTP request to checkip.amazonaws.com)
and its internal one (a UDP socket "connected" to 8.8.8.8) to print URLs and to extend its
WebSocket origin allow-list. The dashboard serves the host names it is given
(``server.allowedHosts``) and nothing else, so both lookups answer "unknown" here.
"""

from __future__ import annotations

import sys


def _offline() -> None:
    from streamlit import net_util

    net_util.get_external_ip = lambda: None
    net_util.get_internal_ip = lambda: None


def main(argv: list[str] | None = None) -> None:
    _offline()
    from streamlit.web import cli

    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
