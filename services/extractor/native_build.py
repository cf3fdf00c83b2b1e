"""Compiles the extractor's pure rule modules with mypyc into the build directory that
native.py loads them from (`make venv` runs this; by hand:
``.venv/bin/python -m services.extractor.native_build [DIR]``). It exits 1, saying why,
when they cannot be compiled (no C compiler, a rule mypyc rejects): the extractor then
runs as pure Python, which is correct, only slower."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from services.extractor.native import (
    MANIFEST,
    MODULES,
    ROOT,
    default_build_dir,
    digest_of,
    runtime_tag,
    source_of,
)


def build(build_dir: Path | None = None) -> None:
    """Compile MODULES with mypyc into `build_dir` (replaced whole; the manifest last)."""
    from mypyc.build import mypycify  # mypy ships mypyc (a test dependency)
    from setuptools import setup

    build_dir = build_dir or default_build_dir()
    sources = {m: source_of(m) for m in MODULES}
    digests = {m: digest_of(p) for m, p in sources.items()}
    with tempfile.TemporaryDirectory(prefix="luqiao-native-") as tmp:
        staging, work = Path(tmp) / "lib", Path(tmp) / "work"
        cwd = Path.cwd()
        os.chdir(ROOT)  # mypyc names modules by their paths from the root
        try:
            extensions = mypycify(
                [str(p.relative_to(ROOT)) for p in sources.values()],
                opt_level="3",
                target_dir=str(work / "c"),
            )
            setup(
                name="luqiao-native",
                ext_modules=extensions,
                script_args=["-q", "build_ext", "--build-lib", str(staging),
                             "--build-temp", str(work / "o")],
            )  # fmt: skip
        finally:
            os.chdir(cwd)
        files: dict[str, str] = {}
        for so in staging.rglob(f"*{importlib.machinery.EXTENSION_SUFFIXES[0]}"):
            rel = so.relative_to(staging)
            name = ".".join((*rel.parent.parts, rel.name.split(".")[0]))
            files[name] = str(rel)
        missing = [m for m in MODULES if m not in files]
        if missing:
            raise RuntimeError(f"mypyc built no module for {missing}")
        (staging / MANIFEST).write_text(
            json.dumps({"runtime": runtime_tag(), "sources": digests, "files": files}, indent=1),
            encoding="utf-8",
        )
        if build_dir.exists():
            shutil.rmtree(build_dir)
        shutil.copytree(staging, build_dir)


def main(argv: list[str]) -> int:
    if len(argv) > 1 or argv[:1] in (["-h"], ["--help"]):
        print("usage: python -m services.extractor.native_build [DIR]", file=sys.stderr)
        return 2
    target = Path(argv[0]) if argv else default_build_dir()
    try:
        build(target)
    except (Exception, SystemExit) as exc:  # no compiler, a rule mypyc rejects (it exits)
        print(f"extractor not compiled, it runs as pure Python: {exc}", file=sys.stderr)
        return 1
    print(f"extractor rules compiled with mypyc into {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
