"""The extractor's pure rule modules compiled with mypyc, used only while they match their source.

Why: the extractor's time is Python rule code run per candidate sentence (stage reading,
figures, places, the hit loop). Compiled by mypyc, the same code ran 1.1-1.25x faster on the
bench's corpora with every evidence line identical (bench/README.md, 2026-11-27).

How it stays safe to edit the rules: `make venv` builds the modules outside the source tree,
under `<venv>/luqiao-native/`, with a manifest of the sha256 of every source it compiled.
`install()` (run when `services.extractor` is imported) loads them only when *every* one of
those sources is unchanged: one edited rule module and the whole set stays pure Python (the
compiled modules call each other natively, so a mixed set would run stale code). Nothing
compiled is kept beside the sources, where it would shadow them. Without a C compiler the
build fails, says so, and everything runs as pure Python, as it does with
LUQIAO_EXTRACTOR_COMPILED=off (for debugging: tracebacks through compiled code show no lines).

Built by native_build.py (`make venv` runs it).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# The pure modules compiled, in dependency order. (services.catalog.units is imported
# before this package and stays pure.)
MODULES = (
    "services.extractor.quotes",
    "services.extractor.stages",
    "services.extractor.figures",
    "services.extractor.places",
    "services.extractor.matching",
)
SETTING = "LUQIAO_EXTRACTOR_COMPILED"  # "auto" (default): use a fresh build; "off": never
ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "manifest.json"


def default_build_dir() -> Path:
    return Path(sys.prefix) / "luqiao-native"


def source_of(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runtime_tag() -> str:
    return f"{sys.implementation.cache_tag} {importlib.machinery.EXTENSION_SUFFIXES[0]}"


class _CompiledFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules (and mypyc's shared library) in the build directory."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.files.get(fullname)
        return None if file is None else importlib.util.spec_from_file_location(fullname, file)


def fresh_build(build_dir: Path) -> dict[str, Path] | None:
    """The compiled files by module name, when the build in `build_dir` was made from the
    sources as they are now and for this Python; else None."""
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
        if manifest["runtime"] != runtime_tag() or set(manifest["sources"]) != set(MODULES):
            return None
        if any(digest_of(source_of(m)) != digest for m, digest in manifest["sources"].items()):
            return None
        files = {name: build_dir / rel for name, rel in manifest["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files if all(f.is_file() for f in files.values()) else None


def install(build_dir: Path | None = None) -> bool:
    """Route the imports of the rule modules to a fresh compiled build, if there is one
    and the setting allows it. Must run before any of them is imported. True if routed."""
    if os.environ.get(SETTING, "auto").strip().lower() == "off":
        return False
    if any(m in sys.modules for m in MODULES):
        return False  # too late to swap them consistently
    if any(isinstance(f, _CompiledFinder) for f in sys.meta_path):
        return True
    files = fresh_build(build_dir or default_build_dir())
    if files is None:
        return False
    sys.meta_path.insert(0, _CompiledFinder(files))
    return True


def is_compiled(module: ModuleType) -> bool:
    return not str(getattr(module, "__file__", "")).endswith(".py")
