"""Read the provisioned Grafana dashboards and turn their queries into plain PromQL.

No Grafana server or offline validator is available to the tests, so the checks work on the
JSON itself; this module is the one place that knows the JSON's shape (panels, possibly nested
in rows; targets; templating variables) and Grafana's variable syntax.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Grafana's built-in interval variables, given values that keep the expression valid PromQL.
_INTERVAL_VARIABLES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$([a-zA-Z_]\w*)|\[\[(\w+)(?::\w+)?\]\]")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # file name
    panel: str  # panel title
    ref_id: str
    expr: str


def load_dashboards(directory: Path) -> dict[str, dict[str, Any]]:
    """File name -> parsed dashboard, for every *.json in `directory`."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those collapsed inside a row."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def is_row(panel: dict[str, Any]) -> bool:
    return panel.get("type") == "row"


def panel_queries(file_name: str, dashboard: dict[str, Any]) -> Iterator[PanelQuery]:
    for panel in iter_panels(dashboard):
        for target in panel.get("targets", []):
            yield PanelQuery(
                file_name, panel.get("title", ""), target.get("refId", ""), target.get("expr", "")
            )


def variable_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(variable name, query text) of each query-type templating variable."""
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        yield variable["name"], str(query)


def substitute_variables(expr: str) -> str:
    """The expression as Prometheus would receive it: interval variables become durations,
    dashboard variables (always used inside a regex matcher's string) become a regex."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return _INTERVAL_VARIABLES.get(name, ".*")

    return _VARIABLE.sub(replace, expr)
