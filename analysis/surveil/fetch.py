"""Getting the APIs' JSON: live over HTTP, politely, or replayed from recorded responses.

Both fetchers answer ``get(recording, url, params) -> object``: the parsed JSON the API
returned. ``recording`` names the response's file in an offline folder
(``pubmed_esearch`` -> ``DIR/pubmed_esearch.json``), so the search code and its parsers
are the same on both paths.

Politeness of :class:`Http` (each API's published rules):

* NCBI E-utilities: at most 3 requests per second without an API key, and ``tool`` and
  ``email`` parameters identifying the software and a contact (NCBI, "A General
  Introduction to the E-utilities", Usage Guidelines and Requirements).
* Crossref REST API: a ``mailto`` (parameter and User-Agent) puts requests in the "polite
  pool"; back off on HTTP 429 and honour ``Retry-After`` (Crossref, REST API etiquette).
* Europe PMC REST and ClinicalTrials.gov API v2: no key; ClinicalTrials.gov asks for
  about 50 requests per minute at most. A weekly window is one page per source; at most
  ten pages are read (:data:`analysis.surveil.sources.MAX_PAGES`).

Every request has a timeout; 429, 5xx and network errors are retried with exponential
back-off (``backoff * 2**attempt`` seconds, or the server's ``Retry-After``). A source
that still fails raises :class:`SourceError`, one line, and the caller reports the
other sources regardless.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["MIN_INTERVAL", "Fetcher", "Http", "Replay", "SourceError"]

#: seconds between two requests to one host (the documented rate limits, with margin)
MIN_INTERVAL: dict[str, float] = {
    "eutils.ncbi.nlm.nih.gov": 0.34,  # 3 requests per second without an API key
    "www.ebi.ac.uk": 0.2,
    "clinicaltrials.gov": 1.2,  # ~50 requests per minute
    "api.crossref.org": 0.2,
}
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class SourceError(Exception):
    """A source could not answer (down, refused, malformed): one line for the report."""


class Fetcher(Protocol):
    def get(self, recording: str, url: str, params: Mapping[str, str]) -> Any: ...


def _decode(body: bytes, what: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"{what}: malformed response (not JSON: {exc.__class__.__name__})"
        ) from None


def _status_error(what: str, status: int, body: bytes) -> SourceError:
    text = " ".join(body.decode("utf-8", "replace").split())[:120]
    return SourceError(f"{what}: HTTP {status}" + (f" ({text})" if text else ""))


@dataclass
class Http:
    """Live requests with urllib: identification, rate limit, timeout, retries."""

    tool: str
    email: str
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)

    def _wait(self, host: str) -> None:
        gap = MIN_INTERVAL.get(host, 0.5)
        elapsed = time.monotonic() - self._last.get(host, float("-inf"))
        if elapsed < gap:
            self.sleep(gap - elapsed)
        self._last[host] = time.monotonic()

    def get(self, recording: str, url: str, params: Mapping[str, str]) -> Any:
        query = urllib.parse.urlencode(dict(params))
        full = f"{url}?{query}" if query else url
        host = urllib.parse.urlsplit(url).hostname or ""
        agent = f"{self.tool} (mailto:{self.email})" if self.email else self.tool
        request = urllib.request.Request(
            full, headers={"User-Agent": agent, "Accept": "application/json"}
        )
        what = recording
        for attempt in range(self.retries + 1):
            self._wait(host)
            retry_after: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                    return _decode(resp.read(), what)
            except urllib.error.HTTPError as exc:
                body = exc.read() or b""
                if exc.code not in _RETRY_STATUS or attempt == self.retries:
                    raise _status_error(what, exc.code, body) from None
                header = exc.headers.get("Retry-After") if exc.headers else None
                retry_after = float(header) if header and header.isdigit() else None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise SourceError(
                        f"{what}: unreachable after {self.retries + 1} tries ({reason})"
                    ) from None
            self.sleep(retry_after if retry_after is not None else self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Replay:
    """Recorded responses from a folder: ``DIR/<recording>.json`` as the API returned it.

    ``DIR/<recording>.status`` (a number, e.g. ``503``) replays an HTTP error with the
    ``.json`` file (if any) as its body. A missing recording is a source error too.
    """

    folder: Path
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def get(self, recording: str, url: str, params: Mapping[str, str]) -> Any:
        self.requests.append((recording, url, dict(params)))
        body_path = Path(self.folder) / f"{recording}.json"
        status_path = Path(self.folder) / f"{recording}.status"
        body = body_path.read_bytes() if body_path.is_file() else b""
        if status_path.is_file():
            status = int(status_path.read_text(encoding="utf-8").strip())
            if status >= 400:
                raise _status_error(recording, status, body)
        if not body_path.is_file():
            raise SourceError(f"{recording}: no recorded response ({body_path.name})")
        return _decode(body, recording)
