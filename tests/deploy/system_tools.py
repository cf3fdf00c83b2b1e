"""Find the command-line tools of Debian packages (promtool, amtool) the deployment tests use.

On a developer's machine a missing tool skips its tests with the install hint. Under CI (the
CI environment variable set) a missing tool is a failure: deploy/install-system-deps is meant
to have installed it, and a skip there would pass a build that checked nothing.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(command: str, debian_package: str, *, required_in_ci: bool = True) -> str:
    """Path of `command`, or fail (CI) / skip (elsewhere) naming the package that has it."""
    path = shutil.which(command)
    if path is not None:
        return path
    message = (
        f"{command} not found: install the Debian package {debian_package} "
        f"(apt-get install --no-install-recommends {debian_package}, or deploy/install-system-deps)"
    )
    if required_in_ci and os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
