"""The command line's frame: help, unknown commands, error reporting."""

import subprocess
import sys

from analysis.cli import COMMANDS, UserError, main


def test_help_lists_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "COMMAND" in out


def test_unknown_command_fails():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "no-such-command"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""


def test_user_error_is_exit_2():
    assert UserError.exit_status == 2
    assert set(COMMANDS) >= {"meta", "validate", "build", "preview", "diff", "release"}
