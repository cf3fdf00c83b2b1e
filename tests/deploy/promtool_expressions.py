"""Check PromQL expressions with promtool by making each one a recording rule.

promtool has no "parse this expression" command offline, but `promtool check rules` parses
every rule's expression and names the rule that fails; a generated rules file therefore checks
any list of expressions (dashboard panels, variable selectors) with Prometheus's own parser.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruamel.yaml import YAML


def check_expressions(promtool: str, expressions: dict[str, str], workdir: Path) -> str | None:
    """None when promtool parses every expression; else promtool's report, in which each
    failing expression appears under its key (keys must be valid metric names)."""
    rules = [{"record": name, "expr": expr} for name, expr in expressions.items()]
    path = workdir / "expressions.rules.yml"
    with path.open("w", encoding="utf-8") as out:
        YAML(typ="safe", pure=True).dump({"groups": [{"name": "expressions", "rules": rules}]}, out)
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    if result.returncode == 0 and f"SUCCESS: {len(rules)} rules found" in result.stdout:
        return None
    return result.stdout + result.stderr
