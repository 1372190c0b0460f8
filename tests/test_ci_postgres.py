"""The PostgreSQL half of the suite is skipped on a developer machine without a server, never on CI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_postgres_contract(ci: str) -> subprocess.CompletedProcess[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CI": ci, "CTX_TEST_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/test"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/store/test_contract.py",
            "-k",
            "postgresql and migrations",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_unreachable_postgres_fails_on_ci() -> None:
    """With CI=true an unreachable PostgreSQL fails the run, saying that CI must run that half."""
    result = _run_postgres_contract("true")
    assert result.returncode == 1, result.stdout
    assert "CI must run the PostgreSQL half" in result.stdout


def test_unreachable_postgres_is_skipped_elsewhere() -> None:
    """Without CI the same test is skipped with the reason, and the run passes."""
    result = _run_postgres_contract("")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
