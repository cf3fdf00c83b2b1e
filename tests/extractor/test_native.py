"""The compiled rule modules (services/extractor/native.py): used only while every source
matches the build and the setting allows it, and extracting exactly what the source does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from services.extractor import native

ROOT = Path(__file__).parents[2]
LABELLED = ROOT / "tests/data/labelled/articles.jsonl"


def _fake_build(build: Path, digests: dict[str, str], runtime: str | None = None) -> None:
    """A build directory as native_build writes it, with empty stand-ins for the modules."""
    files = {m: f"{m.replace('.', '/')}.so" for m in native.MODULES}
    for rel in files.values():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(b"")
    manifest = {"runtime": runtime or native.runtime_tag(), "sources": digests, "files": files}
    (build / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _current_digests() -> dict[str, str]:
    return {m: native.digest_of(native.source_of(m)) for m in native.MODULES}


def test_a_build_of_the_sources_as_they_are_is_used(tmp_path: Path) -> None:
    _fake_build(tmp_path, _current_digests())
    files = native.fresh_build(tmp_path)
    assert files is not None
    assert set(files) == set(native.MODULES)


def test_one_edited_source_leaves_the_whole_set_pure(tmp_path: Path) -> None:
    digests = _current_digests()
    digests["services.extractor.stages"] = "0" * 64  # built before stages.py was edited
    _fake_build(tmp_path, digests)
    assert native.fresh_build(tmp_path) is None


def test_a_build_for_another_python_is_not_used(tmp_path: Path) -> None:
    _fake_build(tmp_path, _current_digests(), runtime="cpython-312 .cpython-312-x86_64.so")
    assert native.fresh_build(tmp_path) is None


@pytest.mark.parametrize("manifest", ["", "{", '{"runtime": 1}', "[]"])
def test_a_missing_or_broken_manifest_is_not_used(tmp_path: Path, manifest: str) -> None:
    assert native.fresh_build(tmp_path) is None  # no build at all
    (tmp_path / native.MANIFEST).write_text(manifest, encoding="utf-8")
    assert native.fresh_build(tmp_path) is None


def test_a_build_missing_a_module_file_is_not_used(tmp_path: Path) -> None:
    _fake_build(tmp_path, _current_digests())
    (tmp_path / "services/extractor/matching.so").unlink()
    assert native.fresh_build(tmp_path) is None


def _run(code: str, env: dict[str, str], *args: str) -> str:
    """Run `code` in a fresh interpreter at the project root with `env` added."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_off_keeps_the_source_whatever_is_built() -> None:
    out = _run(
        "import services.extractor.matching as m; print(m.__file__)",
        {native.SETTING: "off"},
    )
    assert out.strip().endswith("services/extractor/matching.py")


# Extracts the labelled articles with the rule modules from BUILD (or the source if
# empty) and prints every evidence event and where matching came from.
_EXTRACT = """
import json, sys
from pathlib import Path
from services.extractor import native
build = sys.argv[1]
if build:
    files = native.fresh_build(Path(build))
    assert files is not None, "the build is not fresh"
    sys.meta_path.insert(0, native._CompiledFinder(files))
from services.catalog import load_catalog
from services.extractor import matching
from services.extractor.matching import ArticleExtractor
from services.offline_articles import article_from_dict
extractor = ArticleExtractor(load_catalog())
print(matching.__file__)
for line in open(sys.argv[2], encoding="utf-8"):
    for ev in extractor.evidence(article_from_dict(json.loads(line))):
        print(ev.model_dump_json())
"""


@pytest.mark.slow
def test_compiled_modules_extract_exactly_what_the_source_does(tmp_path: Path) -> None:
    build = tmp_path / "native"
    made = subprocess.run(
        [sys.executable, "-m", "services.extractor.native_build", str(build)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if made.returncode != 0 and _missing_toolchain():
        pytest.skip(f"{_missing_toolchain()}: the extractor runs as pure Python here")
    assert made.returncode == 0, made.stderr
    env = {native.SETTING: "off", "LUQIAO_EXTRACTOR_CACHE_DIR": ""}
    compiled = _run_extract(str(build), env)
    source = _run_extract("", env)
    assert compiled[0].endswith(".so") and source[0].endswith("matching.py")
    assert len(source) > 400  # the labelled set gives hundreds of evidence events
    assert compiled[1:] == source[1:]


def _missing_toolchain() -> str | None:
    """What a machine lacks to compile (make venv then keeps the pure path), if anything."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        return "no C compiler"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "no Python headers"
    return None


def _run_extract(build: str, env: dict[str, str]) -> list[str]:
    return _run(_EXTRACT, env, build, str(LABELLED)).splitlines()
