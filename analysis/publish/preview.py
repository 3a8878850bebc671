"""``python -m analysis preview``: serve the built site on 127.0.0.1."""

from __future__ import annotations

import argparse
import errno
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
        If ``site`` has no ``index.html`` (build it first) or the port is taken.
    """
    site = Path(site)
    if not (site / "index.html").is_file():
        raise UserError(f"{site}: no index.html; run `python -m analysis build` first")
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: a port is a number from 0 to 65535")
    handler = functools.partial(_Handler, directory=str(site))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} on {host} is in use (another preview?): stop it or choose"
                " another with --port"
            ) from exc
        raise UserError(f"cannot serve on {host}:{port}: {exc.strerror}") from exc


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
    host = host.decode() if isinstance(host, bytes) else host
    print(f"serving {args.dir} on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
