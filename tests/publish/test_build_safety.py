"""Issue 11, builds: temporary directories never outlive a build (SIGTERM included, and a
killed build's are swept at the next start), the swap of ``_site/`` is one system call,
and a busy preview port or a bad ``SOURCE_DATE_EPOCH`` is one line, exit 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from analysis.errors import UserError
from analysis.publish import build as build_mod
from analysis.publish.preview import make_server

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_directories_of_killed_builds_are_swept(tmp_path):
    dest = tmp_path / "_site"
    dead, alive = _dead_pid(), os.getppid()
    stale = [tmp_path / f"_site.build-{dead}-abc", tmp_path / f"_site.old-{dead}"]
    running = tmp_path / f"_site.build-{alive}-xyz"
    quarto_tmp = Path(tempfile.mkdtemp(prefix=f"ivig-quarto-{dead}-"))
    for d in [*stale, running]:
        (d / "sub").mkdir(parents=True)
    removed = build_mod.sweep_stale(dest)
    assert sorted(removed) == sorted([*stale, quarto_tmp])
    assert running.is_dir() and not any(p.exists() for p in stale) and not quarto_tmp.exists()


def test_swap_replaces_the_site_in_one_step(tmp_path):
    dest, staging = tmp_path / "_site", tmp_path / "_site.build-1-a"
    dest.mkdir()
    (dest / "index.html").write_text("old")
    staging.mkdir()
    (staging / "index.html").write_text("new")
    build_mod._swap(staging, dest)
    assert (dest / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]
    # a first build: renamed over an absent target
    again = tmp_path / "_site.build-1-b"
    (again / "x").mkdir(parents=True)
    build_mod._swap(again, tmp_path / "fresh")
    assert (tmp_path / "fresh" / "x").is_dir() and not again.exists()


def test_sigterm_during_a_build_leaves_no_temporary_directory(tmp_path):
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\n")
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from analysis.publish import build as b
        def slow(root):
            print("validating", flush=True)
            time.sleep(60)
        b.build(Path({str(tmp_path)!r}), Path({str(tmp_path / "_site")!r}),
                engine="embedded", validate=slow, progress=lambda m: None)
        """
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764045180"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline().strip() == "validating"  # KernelPool started, staging made
    assert list(tmp_path.glob("_site.build-*"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert not list(tmp_path.glob("_site*"))


def test_busy_preview_port_is_one_line(tmp_path):
    (tmp_path / "index.html").write_text("<p>x</p>")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(UserError, match=rf"^port {port} on 127\.0\.0\.1 is in use"):
            make_server(tmp_path, port)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "analysis",
                "preview",
                "--dir",
                str(tmp_path),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: port {port} on 127.0.0.1 is in use")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_source_date_epoch_is_one_line(tmp_path):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "abc"}
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--out", str(tmp_path / "_site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 UTC"
        " (digits only, e.g. 1764045180), not 'abc'\n"
    )
    assert not (tmp_path / "_site").exists()
