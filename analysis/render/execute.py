"""Running a chapter's cells and inline expressions in a real Jupyter kernel.

One ``python3`` kernel (ipykernel, driven by nbclient) serves the whole book:
each chapter starts with a fresh namespace (``%reset -f``) and its own working
directory (the chapter's folder, as Quarto's ``execute-dir: file``), while
imported modules stay loaded, so pandas, Altair and the results are imported
once per build, not once per chapter.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from analysis.render.qmd import CodeCell, Document, MarkdownBlock, inline_expressions

__all__ = ["ExecutedDocument", "Kernel", "KernelPool", "RenderError"]

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
        Code the kernel runs as it starts (e.g. heavy imports), while the caller
        does other work.
    timeout:
        Seconds allowed per cell.
    """

    def __init__(self, env: dict[str, str] | None = None, warmup: str = "", timeout: int = 600):
        self._env = {**os.environ, **(env or {})}
        self._warmup = warmup
        self._warmup_file: str | None = None
        self._client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",
            timeout=timeout,
            allow_errors=False,
            record_timing=False,
            shutdown_kernel="immediate",  # its state is of no further use
        )
        self._ctx: AbstractContextManager[None] | None = None

    def start(self) -> Kernel:
        """Start the kernel process; returns at once, while the kernel boots and warms up.

        The warm-up code runs inside the kernel at start-up (``IPKernelApp.exec_files``),
        so heavy imports overlap with whatever the caller does next.
        """
        if self._warmup:
            fd, name = tempfile.mkstemp(prefix="ivig-warmup-", suffix=".py")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._warmup)
            self._warmup_file = name
            self._client.extra_arguments = [f"--IPKernelApp.exec_files={name}"]
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

    def warm(self) -> None:
        """Wait until the kernel is up and connected (its warm-up code has run)."""
        self._ensure()

    def close(self) -> None:
        """Shut the kernel down."""
        if self._ctx is not None:
            ctx, self._ctx = self._ctx, None
            ctx.__exit__(None, None, None)  # the client owns the kernel: this shuts it down
        elif self._client.km is not None:
            self._client._cleanup_kernel()
        if self._warmup_file:
            Path(self._warmup_file).unlink(missing_ok=True)
            self._warmup_file = None

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


class KernelPool:
    """Several kernels, each driven by its own thread, executing chapters from one queue.

    Chapters are independent (each starts from a fresh namespace), so on a machine
    with two cores two kernels execute the book in about half the time. Each
    kernel starts (and runs its warm-up code) as soon as the pool is made.

    Parameters
    ----------
    size:
        Number of kernels (default: ``$IVIG_KERNELS`` if set, else 2, or 1 on a
        single-core machine).
    env, warmup:
        As for :class:`Kernel`.
    """

    def __init__(
        self, size: int | None = None, env: dict[str, str] | None = None, warmup: str = ""
    ):
        default = os.environ.get("IVIG_KERNELS", "").strip()
        self.size = size or (
            int(default)
            if default.isdigit() and int(default) > 0
            else max(1, min(2, os.cpu_count() or 1))
        )
        self._jobs: queue.Queue = queue.Queue()
        self._threads = [
            threading.Thread(
                target=self._worker, args=(env, warmup), daemon=True, name=f"ivig-kernel-{i}"
            )
            for i in range(self.size)
        ]
        for thread in self._threads:
            thread.start()

    def _worker(self, env: dict[str, str] | None, warmup: str) -> None:
        kernel: Kernel | None = None
        failure: BaseException | None = None
        try:
            kernel = Kernel(env, warmup).start()
        except BaseException as exc:  # reported to every job this thread takes
            failure = exc
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                doc, defaults, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                if failure is not None or kernel is None:
                    future.set_exception(
                        RenderError(f"{doc.path}: the kernel did not start: {failure}")
                    )
                    continue
                try:
                    future.set_result(kernel.execute(doc, defaults=defaults))
                except BaseException as exc:
                    future.set_exception(exc)
        finally:
            if kernel is not None:
                kernel.close()

    def submit(self, doc: Document, defaults: dict[str, Any] | None = None) -> Future:
        """Queue ``doc`` for execution; the future gives its :class:`ExecutedDocument`."""
        future: Future = Future()
        self._jobs.put((doc, defaults, future))
        return future

    def close(self) -> None:
        """Cancel what has not started, stop the threads and shut the kernels down."""
        pending = []
        while True:
            try:
                pending.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        for job in pending:
            if job is not None:
                job[2].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
