"""Running a chapter's cells and inline expressions in a real Jupyter kernel.

One ``python3`` kernel (ipykernel, driven by nbclient) serves the whole book:
each chapter starts with a fresh namespace (``%reset -f``) and its own working
directory (the chapter's folder, as Quarto's ``execute-dir: file``), while
imported modules stay loaded, so pandas, Altair and the results are imported
once per build, not once per chapter.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from analysis.render.qmd import CodeCell, Document, MarkdownBlock, inline_expressions

__all__ = ["ExecutedDocument", "Kernel", "RenderError"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: Run at the start of every chapter: fresh namespace, working directory, inline helper.
_SETUP = """\
%reset -f
import os as _ivig_os
_ivig_os.chdir({cwd!r})
del _ivig_os
def _ivig_inline(value):
    if isinstance(value, str):
        return value
    for name in ("_repr_markdown_",):
        method = getattr(value, name, None)
        if method is not None:
            out = method()
            if out is not None:
                return out[0] if isinstance(out, tuple) else out
    return str(value)
"""


class RenderError(Exception):
    """A chapter could not be rendered; the message names the file, cell and line."""


@dataclass
class ExecutedDocument:
    """A document with the outputs of its cells and the values of its inline expressions."""

    doc: Document
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  #: by cell index
    inline: dict[int, list[str]] = field(default_factory=dict)  #: by id() of Markdown block


def _clean(text: str) -> str:
    return _ANSI.sub("", text)


class Kernel:
    """A Jupyter kernel that executes the chapters of one book, one after another.

    Parameters
    ----------
    env:
        Environment variables for the kernel process (added to the current environment).
    warmup:
        Code sent without waiting as soon as the kernel is up (e.g. heavy imports),
        so it runs while the caller does other work.
    timeout:
        Seconds allowed per cell.
    """

    def __init__(self, env: dict[str, str] | None = None, warmup: str = "", timeout: int = 600):
        import os

        self._env = {**os.environ, **(env or {})}
        self._warmup = warmup
        self._client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",
            timeout=timeout,
            allow_errors=False,
            record_timing=False,
        )
        self._ctx = None

    def start(self) -> Kernel:
        """Start the kernel process (returns before the kernel has finished importing)."""
        self._client.km = self._client.create_kernel_manager()
        # the kernel's own stderr carries only transport warnings; cell output comes over iopub
        self._client.start_new_kernel(env=self._env, stderr=subprocess.DEVNULL)
        return self

    def _ensure(self) -> None:
        if self._ctx is None:
            if self._client.km is None:
                self.start()
            self._ctx = self._client.setup_kernel()
            self._ctx.__enter__()
            if self._warmup:
                self._client.kc.execute(self._warmup, silent=True, store_history=False)

    def warm(self) -> None:
        """Connect to the kernel and send the warm-up code (non-blocking)."""
        self._ensure()

    def close(self) -> None:
        """Shut the kernel down."""
        if self._ctx is not None:
            ctx, self._ctx = self._ctx, None
            ctx.__exit__(None, None, None)  # the client owns the kernel: this shuts it down
        elif self._client.km is not None:
            self._client._cleanup_kernel()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, code: str, index: int) -> list[dict[str, Any]]:
        cell = nbformat.v4.new_code_cell(code)
        self._client.nb.cells = [cell]
        self._client.execute_cell(cell, 0, store_history=False)
        return [dict(o) for o in cell.get("outputs", [])]

    def execute(self, doc: Document, *, defaults: dict[str, Any] | None = None) -> ExecutedDocument:
        """Execute ``doc``'s cells (those with ``eval`` not false) and inline expressions.

        Raises
        ------
        RenderError
            If a cell raises (unless it has ``#| error: true``), naming the file,
            the cell (label or number) and its line, with the traceback.
        """
        self._ensure()
        result = ExecutedDocument(doc)
        where = str(doc.path)
        try:
            self._run(_SETUP.format(cwd=str(doc.path.parent.resolve())), 0)
        except (CellExecutionError, DeadKernelError, CellTimeoutError) as exc:
            raise RenderError(f"{where}: could not prepare the kernel: {exc}") from exc
        options = {**(defaults or {}), **((doc.meta or {}).get("execute") or {})}
        eval_default = options.get("eval", True)
        allow_errors_default = bool(options.get("error", False))
        for block in doc.blocks:
            if isinstance(block, CodeCell):
                if not block.options.get("eval", eval_default):
                    continue
                allow = bool(block.options.get("error", allow_errors_default))
                try:
                    self._client.allow_errors = allow
                    result.outputs[block.index] = self._run(block.code, block.index)
                except CellExecutionError as exc:
                    raise RenderError(
                        f"{where}:{block.line}: {block.describe()} raised "
                        f"{exc.ename}: {_clean(exc.evalue)}\n{_clean(str(exc))}"
                    ) from exc
                except (DeadKernelError, CellTimeoutError) as exc:
                    raise RenderError(f"{where}:{block.line}: {block.describe()}: {exc}") from exc
                finally:
                    self._client.allow_errors = False
            elif isinstance(block, MarkdownBlock):
                exprs = inline_expressions(block.text)
                if exprs:
                    result.inline[id(block)] = self._inline(block, exprs, where)
        return result

    def _inline(self, block: MarkdownBlock, matches: list[re.Match], where: str) -> list[str]:
        code = "print(__import__('json').dumps([\n"
        code += "".join(f"    _ivig_inline(({m.group('expr')})),\n" for m in matches)
        code += "]))"
        try:
            outputs = self._run(code, 0)
        except CellExecutionError:
            # find the culprit to name it
            for m in matches:
                line = block.line + block.text[: m.start()].count("\n")
                try:
                    self._run(f"_ivig_inline(({m.group('expr')}))", 0)
                except CellExecutionError as exc:
                    raise RenderError(
                        f"{where}:{line}: inline expression `{m.group('expr')}` raised "
                        f"{exc.ename}: {_clean(exc.evalue)}"
                    ) from exc
            raise
        text = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
        return json.loads(text)


def outputs_text(outputs: list[dict[str, Any]]) -> str:
    """Concatenated stdout of ``outputs`` (for tests and messages)."""
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


def doc_cwd(doc: Document) -> Path:
    """The directory a document's cells run in."""
    return doc.path.parent.resolve()
