"""Protocol amendments between two results bundles: what changed in ``data/protocol.yaml``.

A change to the review's protocol is a protocol amendment: a maintainer must see it first
in the results diff, and readers in "What's new". :func:`protocol_changes` compares the
``protocol`` part of two bundles and words each change: the dated amendments that are new
(with their reasons), a protocol adopted where there was none, and any change to the rules
that no new amendment records. The words are plain text from the data, escaped for Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis import escape
from analysis.evidence.protocol import PARTS

__all__ = ["protocol_changes"]

#: parts of the protocol compared for an unrecorded change (the record and the selections
#: follow from them)
_PARTS = PARTS


def _protocol(bundle: Mapping | None) -> Mapping[str, Any] | None:
    got = (bundle or {}).get("protocol")
    return got if isinstance(got, Mapping) else None


def protocol_changes(base: Mapping | None, head: Mapping | None) -> list[str]:
    """The protocol's changes from ``base`` to ``head``, one sentence each (no final stop).

    Empty when neither bundle carries a protocol or nothing in it changed.
    """
    old, new = _protocol(base), _protocol(head)
    if new is None:
        return [] if old is None else ["**Protocol removed**: this version has no protocol"]
    if old is None:
        return [f"**Protocol adopted** ({escape.markdown(new.get('adopted', ''))})"]
    seen = [tuple(sorted(a.items())) for a in old.get("amendments") or []]
    lines = []
    for a in new.get("amendments") or []:
        if tuple(sorted(a.items())) in seen:
            continue
        lines.append(
            f"**Protocol amendment** ({escape.markdown(a.get('date', ''))}): "
            f"{escape.markdown(a.get('change', ''))} Reason: {escape.markdown(a.get('reason', ''))}"
        )
    changed = [p for p in _PARTS if old.get(p) != new.get(p)]
    if changed and not lines:
        shown = ", ".join(escape.code(p) for p in changed)
        lines.append(
            f"**Protocol changed without a dated amendment** ({shown} in `data/protocol.yaml`): "
            "add an entry to `amendments` with the date, the change and the reason"
        )
    return lines
