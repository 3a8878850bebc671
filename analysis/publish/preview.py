"""``python -m analysis preview``: serve the built site on 127.0.0.1."""

from __future__ import annotations

import argparse
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from analysis.errors import UserError

__all__ = ["HELP", "add_arguments", "make_server", "run"]

HELP = "Serve the built site (_site/) on http://127.0.0.1:PORT/."


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".json": "application/json",
        ".csv": "text/csv; charset=utf-8",
        ".pdf": "application/pdf",
        ".js": "text/javascript",
        ".svg": "image/svg+xml",
    }

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        print(f"preview: {format % args}", file=sys.stderr)


def make_server(site: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for ``site`` (not yet serving; call ``serve_forever``).

    Raises
    ------
    UserError
        If ``site`` has no ``index.html`` (build it first).
    """
    site = Path(site)
    if not (site / "index.html").is_file():
        raise UserError(f"{site}: no index.html; run `python -m analysis build` first")
    handler = functools.partial(_Handler, directory=str(site))
    return ThreadingHTTPServer((host, port), handler)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("_site"),
        metavar="DIR",
        help="the site to serve (default: _site)",
    )


def run(args: argparse.Namespace) -> int:
    server = make_server(args.dir, args.port)
    host, port = server.server_address[:2]
    print(f"serving {args.dir} on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
