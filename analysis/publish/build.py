"""``python -m analysis build``: data -> results -> the site and the PDF, or nothing.

Steps (each shown as a progress line on standard error):

1. stamp the build with the version, commit and commit date (:func:`analysis.report.version.stamp`);
2. validate ``data/`` (:func:`analysis.evidence.studies.load_studies`);
3. compute the results bundle into ``results.json`` (:func:`analysis.report.results_bundle.write`);
4. render every page and the PDF: with ``quarto render`` when a ``quarto``
   executable is on ``PATH`` (and ``--engine`` is ``auto`` or ``quarto``),
   otherwise with the embedded renderer (:mod:`analysis.render`);
5. copy ``data/studies.csv`` to ``data/studies.csv`` in the site;
6. check that no page loads a script or stylesheet from another host;
7. replace the destination (``_site/``) with the new site atomically.

Everything is written into a temporary directory beside the destination
(``_site.build-PID-XXXX``); the destination is replaced only when every step succeeded.
The replacement is one system call, so a reader (or a concurrent build) sees the old
site or the new one, never neither: on Linux ``renameat2(RENAME_EXCHANGE)`` swaps the
two directories and the old one is then deleted; a first build renames the new
directory over an absent target. Elsewhere it is two renames (a short window).
Temporary directories are removed on any exit, including SIGTERM (turned into an
exception so that every clean-up runs), and those left by a killed build (its process
id no longer running) are removed at the start of the next build.
On failure the message names the file (and the chapter's cell and line), the
exit status is non-zero, and the previous site is left as it was.

What chapters and charts see (environment variables set for the kernel and
for Quarto):

``IVIG_SITE_DIR``
    the site being built (the temporary directory);
``IVIG_CHARTS_DIR``
    where :class:`analysis.report.chart_display.Chart` saves ``NAME.vl.json``
    (``charts/`` in the site);
``IVIG_RESULTS``
    the ``results.json`` just written: the chapters read the bundle, never ``data/``
    (its data sections carry what they show), so ``data/`` is validated once per build;
``IVIG_VERSION``, ``IVIG_COMMIT``, ``IVIG_GENERATED``
    the stamp of this build.

With Quarto, the version reaches the footer and the PDF's title page through
a generated metadata file, ``_version.yml`` (listed under ``metadata-files``
in ``_quarto.yml``), written into a staged copy of the project, never into the
working tree; the committed ``_version.yml`` holds development defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis import escape
from analysis.errors import UserError

__all__ = ["HELP", "BuildError", "add_arguments", "build", "run", "offsite_references"]

HELP = "Build the site (HTML pages, the PDF, results.json, chart specs, data) into _site/."

#: Quarto adds these CDN scripts to any page with Jupyter HTML output; the site serves
#: everything itself, so the build removes them (the charts do not use RequireJS or jQuery).
_QUARTO_CDN = (
    re.compile(
        r'<script[^>]*\bsrc="https?://[^"]*/(?:requirejs|require\.js)[^"]*"[^>]*>\s*</script>\s*'
    ),
    re.compile(r'<script[^>]*\bsrc="https?://[^"]*/jquery[^"]*"[^>]*>\s*</script>\s*'),
    re.compile(r"<script[^>]*>\s*define\('jquery',[^<]*</script>\s*"),
)
#: Quarto's previous/next links carry an ``aria-label`` (the chapter's title) that leaves out
#: the chapter number they show; a name that differs from the visible text fails WCAG 2.5.3
#: (label in name), so the build removes it and the link is named by its text.
_QUARTO_PAGER_LABEL = re.compile(r'(<a\b[^>]*\bclass="pagination-link"[^>]*?)\s+aria-label="[^"]*"')
_OFFSITE = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"'](?P<src>(?:https?:)?//[^\"']+)"
    r"|<link\b[^>]*\bhref=[\"'](?P<href>(?:https?:)?//[^\"']+)[\"'][^>]*>"
    r"|@import\s+(?:url\()?[\"']?(?P<imp>(?:https?:)?//[^\"')]+)",
    re.IGNORECASE,
)


class BuildError(UserError):
    """The build failed; the message says where and why."""


def _link_is_resource(match: re.Match) -> bool:
    tag = match.group(0).lower()
    if match.group("href") is None:
        return True
    # <link rel="canonical"> or rel="alternate" is a link, not a request
    rel = re.search(r"\brel=[\"']([^\"']+)", tag)
    return rel is not None and any(
        r in rel.group(1) for r in ("stylesheet", "preload", "icon", "modulepreload", "manifest")
    )


def offsite_references(site: Path) -> list[str]:
    """Scripts, stylesheets, images or imports in ``site``'s HTML/CSS that point at another host."""
    found = []
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in _OFFSITE.finditer(text):
            if _link_is_resource(m):
                url = m.group("src") or m.group("href") or m.group("imp")
                found.append(f"{path.relative_to(site)}: {url}")
    return found


class _Progress:
    def __init__(self, stream=sys.stderr):
        self.t0 = time.perf_counter()
        self.stream = stream

    def __call__(self, msg: str) -> None:
        print(f"[{time.perf_counter() - self.t0:5.1f}s] {msg}", file=self.stream, flush=True)


def _stamp(root: Path) -> dict[str, str]:
    try:
        from analysis.report.version import stamp
    except ModuleNotFoundError as exc:
        raise BuildError("analysis.report.version is missing: cannot stamp the build") from exc
    return stamp(root)


def _validate(root: Path) -> int:
    try:
        from analysis.evidence.studies import load_studies
    except ModuleNotFoundError as exc:
        raise BuildError("analysis.evidence.studies is missing: cannot validate data/") from exc
    return len(load_studies(root / "data"))


def _bundle(root: Path, out: Path) -> None:
    try:
        from analysis.report.results_bundle import write
    except ModuleNotFoundError as exc:
        raise BuildError(
            "analysis.report.results_bundle is missing: cannot compute results.json"
        ) from exc
    write(root, out)


def _versions_file(root: Path, given: Path | None) -> Path | None:
    if given is not None:
        if not Path(given).is_file():
            raise BuildError(f"{given}: no such versions.json (--versions)")
        return given
    env = os.environ.get("IVIG_VERSIONS_JSON")
    if env:
        return Path(env)
    default = root / "versions.json"
    return default if default.is_file() else None


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one system call (Linux >= 3.15); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(staging: Path, dest: Path) -> None:
    """Put ``staging`` in place of ``dest`` atomically (see the module docstring)."""
    if dest.is_dir() and not dest.is_symlink() and _exchange(staging, dest):
        shutil.rmtree(staging, ignore_errors=True)  # now the previous site
        return
    if not dest.exists():
        try:
            os.rename(staging, dest)  # over an absent target: atomic
            return
        except OSError as exc:
            msg = f"{dest}: appeared during the build; try again ({exc.strerror})"
            raise BuildError(msg) from exc
    old = None
    if dest.exists():
        old = dest.with_name(f"{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
    try:
        os.rename(staging, dest)
    except OSError:
        if old is not None:
            os.rename(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


_STALE = re.compile(r"\.(?:build|old)-([0-9]+)(?:-|$)|^ivig-quarto-([0-9]+)-")


def sweep_stale(dest: Path) -> list[Path]:
    """Remove temporary directories of builds whose process is gone; return them.

    Looks beside ``dest`` (``_site.build-PID-*``, ``_site.old-PID``) and in the system's
    temporary directory (``ivig-quarto-PID-*``). A directory whose process still runs
    (a concurrent build) is left alone.
    """
    removed = []
    places = [(dest.parent, f"{dest.name}.*"), (Path(tempfile.gettempdir()), "ivig-quarto-*")]
    for folder, pattern in places:
        for path in folder.glob(pattern):
            m = _STALE.search(path.name)
            pid = m and int(m.group(1) or m.group(2))
            if pid and pid != os.getpid() and path.is_dir() and not _alive(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _terminate_as_exception() -> Callable[[], None]:
    """Make SIGTERM raise ``SystemExit(143)`` during the build, so clean-ups run.

    Returns the function that puts the previous handler back. Only the main thread can
    set handlers; elsewhere (a test's thread) nothing changes.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):  # noqa: ARG001 - the signal module's signature
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


_BASE_IMPORTS = ("numpy", "pandas", "altair", "vl_convert", "analysis.report.chart_display")


def warmup_code(root: Path) -> str:
    """Code that imports, in the kernel, what the chapters import (and the usual libraries).

    Sent as soon as the kernel is up, so these imports run while the build validates
    the data and computes the bundle. Modules are found from the ``import`` statements
    of the chapters' cells; one that fails to import is left for its chapter to report.
    """
    import ast

    from analysis.render.project import load_project
    from analysis.render.qmd import parse_qmd

    modules = list(_BASE_IMPORTS)
    try:
        project = load_project(root)
        for chapter in project.chapters:
            for cell in parse_qmd(root / chapter.source).cells:
                try:
                    tree = ast.parse(cell.code)
                except SyntaxError:
                    continue
                for node in tree.body:
                    if isinstance(node, ast.Import):
                        modules += [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        modules.append(node.module)
                        modules += [f"{node.module}.{a.name}" for a in node.names]
    except Exception:  # noqa: BLE001 - the render reports problems with the project itself
        pass
    names = list(dict.fromkeys(modules))
    return (
        "import importlib as _il\n"
        f"for _m in {names!r}:\n"
        "    try:\n"
        "        _il.import_module(_m)\n"
        "    except Exception:\n"
        "        pass\n"
    )


def page_context(root: Path, stamp: dict[str, str], versions: Path | None):
    """Version, commit, date, versions menu and citation for every page and the PDF.

    With a ``CITATION.cff``, the "cite as" line and the Highwire ``citation_*``
    meta tags come from :mod:`analysis.report.citation`, the one source of citation data.
    """
    from analysis.render import PageContext, load_project, read_versions

    citation: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = {}
    if (root / "CITATION.cff").is_file():
        from analysis.report import citation as cff

        commit, built = stamp["commit"], stamp["generated"]
        c = cff.load(root, commit=commit, built=built)
        citation = c.text()
        # the PDF of this build: a release's own folder, else the site's root (where a
        # development build is served)
        base = c.version_url if c.released else c.url.rstrip("/") + "/"
        pdf_url = base + load_project(root).pdf_name
        meta = tuple(
            cff.highwire_meta(
                root, pdf_url=pdf_url, commit=commit, built=built, released=c.released
            )
        )
        label = c.version_label
        extra = {
            "status": label[:1].upper() + label[1:],
            "released": c.released,
            "declarations": tuple(cff.people(root).statements()),
            "doi": f"DOI {c.doi}"
            if c.doi
            else "DOI not yet assigned (minted at the first release)",
        }
    searched = _last_searched(root)
    if searched:
        extra["notes"] = (f"evidence last searched {searched}",)
    return PageContext(
        stamp["version"],
        stamp["commit"],
        stamp["generated"],
        read_versions(versions),
        citation,
        meta,
        **extra,
    )


def _last_searched(root: Path) -> str | None:
    """The search date every page notes: from the results bundle the build has just written
    (``$IVIG_RESULTS``, so the build reads ``data/`` once), else from ``data/search.yaml``."""
    results = os.environ.get("IVIG_RESULTS")
    if results and Path(results).is_file():
        section = json.loads(Path(results).read_text(encoding="utf-8")).get("search")
        return str(section["last_searched"]) if section else None
    if (root / "data" / "search.yaml").is_file():
        from analysis.evidence import search

        return search.load(root / "data").last_searched.isoformat()
    return None


def _add_json_ld(root: Path, site: Path, stamp: dict[str, str]) -> None:
    from analysis.render import load_project
    from analysis.report import citation as cff

    c = cff.load(root, commit=stamp["commit"], built=stamp["generated"])
    base = c.version_url if c.released else c.url.rstrip("/") + "/"
    doc = cff.json_ld(
        root,
        pdf_url=base + load_project(root).pdf_name,
        version=stamp["version"],
        commit=stamp["commit"],
        built=stamp["generated"],
    )
    cff.add_json_ld(site, doc)


def _render_embedded(
    root: Path,
    staging: Path,
    stamp: dict[str, str],
    versions: Path | None,
    env: dict[str, str],
    kernel,
    progress,
    html: bool = True,
) -> None:
    from analysis.render import RenderError, render_project

    try:
        ctx = page_context(root, stamp, versions)
    except (ValueError, json.JSONDecodeError) as exc:
        raise BuildError(f"{versions}: not a valid versions.json: {exc}") from exc
    try:
        render_project(root, staging, ctx, kernels=kernel, progress=progress, html=html)
    except RenderError as exc:
        first, _, rest = str(exc).partition("\n")
        if rest.strip():
            print(rest.rstrip(), file=sys.stderr)
        raise BuildError(f"rendering failed: {first}") from exc


def _quarto_metadata(root: Path, stamp: dict[str, str], versions: Path | None) -> str:
    from analysis.render.pdf import title_page
    from analysis.render.project import load_project

    project = load_project(root)
    ctx = page_context(root, stamp, versions)
    date = stamp["generated"][:10]
    this = ctx.version if ctx.released else "development"
    menu = [{"text": f"{this} (this version)", "href": "index.html"}] + [
        {"text": v["title"], "href": v["href"]} for v in ctx.versions
    ]
    meta = {
        "book": {
            "date": date,
            "page-footer": {
                "center": " · ".join(
                    [ctx.version_line, *ctx.notes, f"built from commit {ctx.commit[:12]} on {date}"]
                )
            },
            "sidebar": {
                "tools": [
                    {
                        "icon": "clock-history",
                        "text": f"Version {ctx.version}" if ctx.released else "Development version",
                        "menu": menu,
                    },
                    # the PDF, as the embedded renderer's header links it
                    {"icon": "file-earmark-pdf", "text": "PDF", "href": project.pdf_name},
                ]
            },
        },
        "version": ctx.version,
        "commit": ctx.commit,
        # the title block's date is the build's (the commit's) date: a release says so, a
        # development version says "built on", never "published"
        "language": {"title-block-published": "Released" if ctx.released else "Built on"},
        # the PDF's title page (_typst/typst-show.typ): the same lines as the embedded PDF's
        "ivig-title-page": {k: escape.markdown(v) for k, v in title_page(project, ctx).items()},
    }
    if (root / "CITATION.cff").is_file():
        from analysis.report.citation import quarto_citation

        meta["citation"] = quarto_citation(
            root, released=ctx.released, commit=ctx.commit, built=ctx.generated
        )
        pdf = dict(ctx.meta).get("citation_pdf_url")
        if pdf:
            meta["citation"]["pdf-url"] = pdf
        # the title-page block of the shared Typst partial (analysis/render/titlepage.typ)
        meta["ivig-title"] = {
            "status": ctx.version_line,
            "doi": ctx.doi or "",
            "declarations": [{"heading": h, "text": t} for h, t in ctx.declarations],
        }
        meta["google-scholar"] = True  # the same citation_* meta tags as the embedded renderer
    import yaml

    return yaml.safe_dump(meta, sort_keys=True, allow_unicode=True)


def quarto_version(quarto: str) -> tuple[int, ...]:
    """``quarto --version`` as a tuple of ints, e.g. ``(1, 8, 27)``."""
    out = subprocess.run([quarto, "--version"], capture_output=True, text=True, check=True)
    m = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", out.stdout)
    if not m:
        raise BuildError(f"{quarto} --version: unexpected output {out.stdout!r}")
    return tuple(int(g or 0) for g in m.groups())


#: Quarto renders a book to Typst from this version on; before it, the PDF comes from the
#: embedded renderer's Typst pipeline (the HTML still comes from Quarto).
QUARTO_TYPST_BOOK = (1, 9)
#: Seconds a chapter's Jupyter kernel stays alive without work under Quarto (then it exits).
QUARTO_KERNEL_IDLE_S = 30


def _render_quarto(
    quarto: str,
    root: Path,
    staging: Path,
    stamp: dict[str, str],
    versions: Path | None,
    progress,
    log: Path | None = None,
) -> bool:
    """Render with Quarto into ``staging``; returns whether Quarto also made the PDF.

    Quarto's own output goes to ``log`` (one progress line per chapter on the terminal;
    the log printed if Quarto fails)."""
    from analysis.render import RenderError, check_syntax, load_project
    from analysis.render.qmd import QmdError, parse_qmd

    try:  # the same book as the embedded renderer would render, or none
        check_syntax([parse_qmd(root / ch.source) for ch in load_project(root).chapters], root)
    except (QmdError, RenderError) as exc:
        raise BuildError(f"rendering failed: {exc}") from exc
    typst_book = quarto_version(quarto) >= QUARTO_TYPST_BOOK
    with tempfile.TemporaryDirectory(prefix=f"ivig-quarto-{os.getpid()}-") as tmp:
        src = Path(tmp) / "project"
        shutil.copytree(
            root,
            src,
            symlinks=True,  # a link is copied as a link, never followed (data/ holds none)
            ignore=shutil.ignore_patterns(
                ".git",
                ".venv",
                "node_modules",
                "_site",
                "_site.*",
                ".quarto",
                "__pycache__",
                "*.egg-info",
                ".pytest_cache",
                ".hypothesis",
                ".ruff_cache",
            ),
        )
        (src / "_version.yml").write_text(_quarto_metadata(root, stamp, versions), encoding="utf-8")
        out = Path(tmp) / "out"
        cmd = [quarto, "render", str(src), "--output-dir", str(out)]
        # Quarto renders each chapter to HTML and then straight away to Typst, executing it
        # each time; a kernel kept alive for 30 s idle (Quarto's documented daemon) serves
        # both, so each chapter starts one kernel and imports its libraries once, not twice.
        cmd += ["--execute-daemon", str(QUARTO_KERNEL_IDLE_S)]
        if not typst_book:
            cmd += ["--to", "html"]
        progress(f"rendering with {quarto}: {'HTML and PDF' if typst_book else 'HTML'}")
        env = {**os.environ, "QUARTO_PYTHON": sys.executable}
        from analysis.publish.buildlog import run_logged

        log = log or Path(tmp) / "quarto.log"
        run_logged(cmd, log=log, progress=progress, what="quarto render", env=env, cwd=src)
        shutil.copytree(out, staging, symlinks=True, dirs_exist_ok=True)
    for page in staging.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text
        for pattern in _QUARTO_CDN:
            fixed = pattern.sub("", fixed)
        fixed = _QUARTO_PAGER_LABEL.sub(r"\1", fixed)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
    from analysis.render import copy_assets

    copy_assets(staging)
    # Bootstrap's CSS and icon font trimmed to what the pages use (the page-weight budget)
    from analysis.publish.slim import slim_site

    slim_site(staging)
    return typst_book


def build(
    root: Path,
    dest: Path,
    *,
    engine: str = "auto",
    versions: Path | None = None,
    progress: Callable[[str], None] | None = None,
    validate: Callable[[Path], int] = _validate,
    bundle: Callable[[Path, Path], None] = _bundle,
) -> Path:
    """Build the site of the project at ``root`` into ``dest`` (see the module docstring).

    ``validate(root) -> rows`` and ``bundle(root, out_dir)`` are the data steps;
    the defaults are :func:`analysis.evidence.studies.load_studies` and
    :func:`analysis.report.results_bundle.write` (a fixture project supplies its own).

    Returns ``dest``. Raises :class:`BuildError` (a :class:`~analysis.cli.UserError`)
    or :class:`analysis.evidence.studies.DataError` on failure, leaving ``dest`` untouched.
    """
    progress = progress or _Progress()
    root = Path(root).resolve()
    dest = Path(dest).resolve()
    if not (root / "_quarto.yml").is_file():
        raise BuildError(f"{root}: no _quarto.yml here; run the build from the repository root")
    quarto = shutil.which("quarto") if engine in ("auto", "quarto") else None
    if engine == "quarto" and quarto is None:
        raise BuildError("--engine quarto: no quarto executable on PATH")
    versions = _versions_file(root, versions)
    from analysis.publish.buildlog import log_path

    log = log_path(dest)
    stamp = _stamp(root)
    progress(
        f"building version {stamp['version']} (commit {stamp['commit'][:12]}) "
        f"with {'Quarto' if quarto else 'the embedded renderer'}"
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(dest)
    staging = Path(tempfile.mkdtemp(prefix=f"{dest.name}.build-{os.getpid()}-", dir=dest.parent))
    restore_term = _terminate_as_exception()
    env = {
        "IVIG_ROOT": str(root),
        "IVIG_SITE_DIR": str(staging),
        "IVIG_CHARTS_DIR": str(staging / "charts"),
        "IVIG_RESULTS": str(staging / "results.json"),
        "IVIG_VERSION": stamp["version"],
        "IVIG_COMMIT": stamp["commit"],
        "IVIG_GENERATED": stamp["generated"],
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    kernel = None
    try:
        if not quarto:
            from analysis.render import KernelPool

            kernel = KernelPool(env=env, warmup=warmup_code(root))  # imports overlap steps 2-3
        rows = validate(root)
        progress(f"validated data/studies.csv ({rows} rows)")
        bundle(root, staging)
        progress("computed results.json")
        if quarto:
            if not _render_quarto(quarto, root, staging, stamp, versions, progress, log):
                progress(
                    "Quarto < 1.9 has no Typst books: the PDF comes from the embedded renderer"
                )
                from analysis.render import KernelPool

                kernel = KernelPool(env=env, warmup=warmup_code(root))
                _render_embedded(root, staging, stamp, versions, env, kernel, progress, html=False)
        else:
            _render_embedded(root, staging, stamp, versions, env, kernel, progress)
        (staging / "data").mkdir(exist_ok=True)
        shutil.copyfile(root / "data" / "studies.csv", staging / "data" / "studies.csv")
        if (root / "CITATION.cff").is_file():
            from analysis.report.citation import write_downloads

            # citation.bib, citation.ris, CITATION.cff (after rendering: Quarto's output
            # folder carries the repository's CITATION.cff, the planned release's)
            write_downloads(root, staging, commit=stamp["commit"], built=stamp["generated"])
            _add_json_ld(root, staging, stamp)  # schema.org JSON-LD in every page's head
        from analysis.publish.versioned_site import site_url, write_manifest

        write_manifest(staging, site_url(root))  # the version menu's file, until assembled
        from analysis.publish import feed  # releases.xml (Atom) and the releases' JSON records

        title = "IVIG in autoimmune neurological diseases"
        feed.write(root, staging, site_url(root), title=title, updated=stamp["generated"])
        offsite = offsite_references(staging)
        if offsite:
            raise BuildError("pages load from another host: " + "; ".join(offsite[:5]))
        _swap(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        restore_term()
        if kernel is not None:
            kernel.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    told = f"; Quarto's full output is in {log}" if quarto else ""
    progress(f"site ready in {dest}{told}")
    return dest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the site goes (default: _site in the project)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        metavar="DIR",
        help="the project (default: the current directory)",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "quarto", "embedded"),
        default="auto",
        help="renderer: quarto if on PATH (auto), or force one",
    )
    parser.add_argument(
        "--versions",
        type=Path,
        default=None,
        metavar="FILE",
        help="versions.json for the version menu (default: ./versions.json "
        "or $IVIG_VERSIONS_JSON, if present)",
    )


def run(args: argparse.Namespace) -> int:
    root = Path(args.root)
    dest = args.out if args.out is not None else root / "_site"
    build(root, dest, engine=args.engine, versions=args.versions)
    return 0
