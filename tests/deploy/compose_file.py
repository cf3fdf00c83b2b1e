"""docker-compose.yml as data: services, their dependencies, mounts and environment.

There is no Docker engine on the build machines, so `docker compose config` cannot resolve
the file; this does the few parts of that resolution the tests need (YAML merge keys are
resolved by the YAML loader; `${VAR:-default}` takes its default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deploy.yaml_files import load_yaml

_DEFAULTED = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose interpolation with an empty environment: defaults apply, `$$` is a `$`."""
    value = _DEFAULTED.sub(lambda m: m.group(2) or "", value)
    return value.replace("$$", "$")


# tracker: its HTTP port serves /metrics; extractor and crawler: their metrics ports.
PORT_SETTINGS = ("LUQIAO_METRICS_PORT", "LUQIAO_CRAWLER_METRICS_PORT", "LUQIAO_HTTP_PORT")


@dataclass(frozen=True)
class Mount:
    service: str
    source: str
    target: str
    kind: str  # "bind" or "volume"


class ComposeFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        self.data: dict[str, Any] = load_yaml(path)

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        return self.data["services"]

    @property
    def named_volumes(self) -> set[str]:
        return set((self.data.get("volumes") or {}).keys())

    def depends_on(self, service: str) -> dict[str, str]:
        """Dependency -> condition (compose's default condition is service_started)."""
        deps = self.services[service].get("depends_on") or {}
        if isinstance(deps, list):
            return {name: "service_started" for name in deps}
        return {
            name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()
        }

    def environment(self, service: str) -> dict[str, str]:
        env = self.services[service].get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {key: interpolate(str(value)) for key, value in env.items()}

    def metrics_port(self, service: str) -> str:
        """The port Prometheus scrapes: each service reads it from its own setting."""
        env = self.environment(service)
        for name in PORT_SETTINGS:
            if name in env:
                return env[name]
        raise KeyError(f"{service} sets none of {PORT_SETTINGS}")

    def command(self, service: str) -> list[str]:
        command = self.services[service].get("command") or []
        if isinstance(command, str):
            command = command.split()
        return [interpolate(str(part)) for part in command]

    def mounts(self) -> list[Mount]:
        found = []
        for name, spec in self.services.items():
            for volume in spec.get("volumes", []):
                if isinstance(volume, str):
                    source, target = volume.split(":")[:2]
                    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
                else:
                    source, target = volume.get("source", ""), volume["target"]
                    kind = volume.get("type", "volume")
                found.append(Mount(name, source, target, kind))
        return found

    def host_path(self, mount: Mount) -> Path:
        return (self.root / mount.source).resolve()

    def mount_target_of(self, host_path: Path) -> str | None:
        """Where a host file or directory is mounted in some container, or None."""
        wanted = host_path.resolve()
        for mount in self.mounts():
            if mount.kind == "bind" and self.host_path(mount) == wanted:
                return mount.target
        return None
