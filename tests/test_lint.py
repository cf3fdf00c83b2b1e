"""The code stays ruff-clean, ruff-formatted and mypy-clean: the
project's style, checked in CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PATHS = ["services", "tests", "bench"]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# mypy runs on every service (the configuration is in pyproject.toml).
TYPED_PATHS = ["services"]


def test_mypy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *TYPED_PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
