"""Which environment variables a settings class reads, field by field."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic_settings import BaseSettings


def env_names(cls: type[BaseSettings]) -> dict[str, tuple[str, ...]]:
    """Per field, the environment names it can be set by (an explicit alias, else
    the class's prefix + the field name)."""
    prefix = cls.model_config.get("env_prefix", "")
    names = {}
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names[field] = tuple(str(c) for c in alias.choices if str(c).isupper())
        elif isinstance(alias, str):
            names[field] = (alias,)
        else:
            names[field] = (f"{prefix}{field}".upper(),)
    return names
