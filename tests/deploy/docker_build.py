"""The Dockerfile's instructions and the .dockerignore rules, read without a Docker engine.

The build machines have no Docker, so the image cannot be built in a test; what can be checked
is that the instructions copy what `pip install .` needs and that .dockerignore keeps it in
the build context.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages in order, each with its (INSTRUCTION, arguments) list; continuation lines are
    joined and comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    stages: list[Stage] = []
    for line in joined.splitlines():
        if not line.strip():
            continue
        instruction, _, args = line.strip().partition(" ")
        instruction, args = instruction.upper(), args.strip()
        if instruction == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((instruction, args))
    return stages


def exec_form(args: str) -> list[str] | None:
    """The argument list of a JSON (exec) form instruction, or None for shell form."""
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def copy_sources(args: str) -> tuple[list[str], bool]:
    """(sources, from another stage?) of a COPY instruction's arguments."""
    words = args.split()
    from_stage = any(word.startswith("--from=") for word in words)
    paths = [word for word in words if not word.startswith("--")]
    return paths[:-1], from_stage


def ignore_patterns(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out of the build context: a
    pattern matching the path or one of its parent directories excludes it; later `!`
    patterns re-include. `**` matches any number of directories."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = _pattern_regex(pattern)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negate
    return ignored


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match syntax (as Docker uses it): `*` and `?` stop at `/`."""
    out = []
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
        if token == "**/":
            out.append("(?:.*/)?")
        elif token == "**":
            out.append(".*")
        elif token == "*":
            out.append("[^/]*")
        elif token == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))
