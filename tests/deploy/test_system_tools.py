"""A missing promtool fails the build in CI (where deploy/install-system-deps should have
installed it) and only skips elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.system_tools import require_tool


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.usefixtures("empty_path")
def test_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Debian package prometheus"):
        require_tool("promtool", "prometheus")


@pytest.mark.usefixtures("empty_path")
def test_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="promtool not found"):
        require_tool("promtool", "prometheus")


@pytest.mark.usefixtures("empty_path")
def test_optional_tool_skips_even_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.skip.Exception):
        require_tool("amtool", "prometheus-alertmanager", required_in_ci=False)


def test_present_tool_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tmp_path / "promtool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert require_tool("promtool", "prometheus") == str(tool)
