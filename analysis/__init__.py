"""IVIG living meta-analysis: statistics, data, charts, text and the site build.

The package is organised as the architecture (``../shared/docs/architecture.md``)
describes: pure statistics in small modules (no pandas, no I/O), loading and
validation of ``data/``, chart builders that take result objects, Jinja2 text,
the results bundle, the command line and the renderer wrapper.
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # ``__version__`` is read from the single source, pyproject.toml (analysis.report.version).
    if name == "__version__":
        from analysis.report.version import current

        return current()
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
