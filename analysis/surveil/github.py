"""The few GitHub REST API calls the surveillance issues need (urllib, no other client).

GitHub REST API, "Issues" (``GET /repos/{owner}/{repo}/issues`` with ``labels``,
``state=all``, ``per_page``, paginated by the ``Link: <...>; rel="next"`` header; ``POST``
to create; ``PATCH /repos/{owner}/{repo}/issues/{number}`` to update or close). The token
is sent as ``Authorization: Bearer``; nothing else is read from the environment here.
Writes are spaced by ``write_gap`` seconds (GitHub's REST "best practices": wait at least
one second between requests that create or change content).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis.errors import UserError

__all__ = ["GitHub"]

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass
class GitHub:
    """A repository's issues through the REST API at ``api`` (``https://api.github.com``)."""

    api: str
    repo: str
    token: str
    timeout: float = 20.0
    max_pages: int = 20
    write_gap: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def _call(self, method: str, url: str, body: dict | None = None) -> tuple[Any, str]:
        if method != "GET":
            self.sleep(self.write_gap)
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "ivig-living-review-surveil",
                **({"Content-Type": "application/json"} if data else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                text = resp.read().decode("utf-8")
                return (json.loads(text) if text else None), resp.headers.get("Link") or ""
        except urllib.error.HTTPError as exc:
            raise UserError(f"GitHub API: {method} {url.split('?')[0]}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise UserError(f"GitHub API unreachable: {getattr(exc, 'reason', exc)}") from None

    def issues(self, label: str | None = None) -> list[dict]:
        """Every issue (open and closed), with *label* if given, following the pagination."""
        only = f"labels={label}&" if label else ""
        url: str | None = f"{self.api}/repos/{self.repo}/issues?{only}state=all&per_page=100"
        out: list[dict] = []
        for _ in range(self.max_pages):
            if url is None:
                break
            page, link = self._call("GET", url)
            out += [i for i in page or [] if "pull_request" not in i]
            m = _NEXT.search(link)
            url = m.group(1) if m else None
        return out

    def create(self, title: str, body: str, labels: list[str]) -> dict:
        got, _ = self._call(
            "POST",
            f"{self.api}/repos/{self.repo}/issues",
            {"title": title, "body": body, "labels": labels},
        )
        return got

    def update(self, number: int, **fields: Any) -> dict:
        got, _ = self._call("PATCH", f"{self.api}/repos/{self.repo}/issues/{number}", fields)
        return got
