"""Load a YAML file safely (merge keys resolved).

ruamel.yaml comes with check-jsonschema, which the test extras already need for the compose
schema check, so no second YAML library is installed for the deployment tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
