"""The Dockerfile and .dockerignore: the image is built from the right base, contains what
`pip install .` needs, runs as an unprivileged user and starts the console script."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.deploy.compose_file import ComposeFile
from tests.deploy.conftest import REPO_ROOT
from tests.deploy.docker_build import (
    Stage,
    copy_sources,
    exec_form,
    ignore_patterns,
    is_ignored,
    parse_dockerfile,
)

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
CASES = Path(__file__).parent / "data" / "dockerignore_cases.tsv"

STAGES = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
PATTERNS = ignore_patterns(DOCKERIGNORE.read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _final() -> Stage:
    return STAGES[-1]


def _context_copies() -> list[str]:
    """Sources of every COPY/ADD that reads the build context (not another stage)."""
    sources: list[str] = []
    for stage in STAGES:
        for args in stage.all("COPY") + stage.all("ADD"):
            paths, from_stage = copy_sources(args)
            if not from_stage:
                sources.extend(paths)
    return sources


def _cases() -> list[tuple[str, list[str], bool]]:
    rows = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            path, patterns, ignored = line.split("\t")
            rows.append((path, patterns.split(), ignored == "yes"))
    return rows


@pytest.mark.parametrize(("path", "patterns", "ignored"), _cases())
def test_dockerignore_matching(path: str, patterns: list[str], ignored: bool) -> None:
    assert is_ignored(path, patterns) is ignored


def test_every_stage_is_python_311_slim() -> None:
    assert STAGES
    assert {stage.base for stage in STAGES} == {"python:3.11-slim"}


def test_final_stage_runs_unprivileged() -> None:
    users = _final().all("USER")
    assert users, "the final stage never sets USER (runs as root)"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    created = " ".join(_final().all("RUN"))
    assert "useradd" in created and user in created, "USER names an account the image lacks"


def test_entrypoint_is_the_console_script() -> None:
    entrypoint = exec_form(_final().all("ENTRYPOINT")[-1])
    assert entrypoint == ["luqiao-monitor"]
    assert "luqiao-monitor" in PYPROJECT["project"]["scripts"]


def test_the_project_is_pip_installed() -> None:
    runs = " ".join(args for stage in STAGES for args in stage.all("RUN"))
    assert "pip install ." in runs


def test_copied_sources_exist_and_are_in_the_build_context() -> None:
    copies = _context_copies()
    assert copies
    for source in copies:
        assert (REPO_ROOT / source).exists(), f"COPY {source}: no such file"
        assert not is_ignored(source.rstrip("/"), PATTERNS), f"COPY {source}: .dockerignored"


def test_what_the_build_needs_is_copied() -> None:
    """setuptools reads pyproject.toml, the readme it names, and the packages it finds."""
    copied = {source.rstrip("/") for source in _context_copies()}
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"]}
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        needed.add(pattern.rstrip("*").rstrip("."))
    assert needed <= copied


def test_local_state_stays_out_of_the_build_context() -> None:
    for path in [".git/HEAD", ".venv/bin/python", "luqiao.db", "services/x/__pycache__/a.pyc"]:
        assert is_ignored(path, PATTERNS), path


def test_compose_builds_this_dockerfile_and_reaches_its_ports(compose: ComposeFile) -> None:
    exposed = {port for args in _final().all("EXPOSE") for port in args.split()}
    for service in ("tracker", "extractor", "crawler"):
        build = compose.services[service]["build"]
        assert (REPO_ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        port = compose.metrics_port(service)
        assert port in exposed, f"{service} port {port} not EXPOSEd"
