"""Errors a user can act on: reported by the command line as one line, exit status 2.

Every layer raises these (or subclasses); only :mod:`analysis.cli` turns them into
messages and exit codes, so no lower module imports the command line.
"""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """An error in the user's input: reported as one line, exit status 2."""

    exit_status = 2
