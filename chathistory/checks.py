"""System checks for ``settings.CHATHISTORY`` (chathistory.E001…)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from chathistory.conf import DEFAULTS


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    config = getattr(settings, "CHATHISTORY", {})
    if not isinstance(config, dict):
        return [Error("CHATHISTORY must be a dict.", id="chathistory.E001")]
    errors = []
    for name in sorted(set(config) - set(DEFAULTS)):
        errors.append(
            Error(
                f"CHATHISTORY has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="chathistory.E002",
            )
        )
    replicas = config.get("READ_REPLICAS", ())
    if not isinstance(replicas, (list, tuple)) or not all(alias in settings.DATABASES for alias in replicas):
        errors.append(
            Error(
                f"CHATHISTORY['READ_REPLICAS'] must be a list of DATABASES aliases, not {replicas!r}.",
                id="chathistory.E004",
            )
        )
    for name in sorted(set(config) & set(DEFAULTS) - {"READ_REPLICAS"}):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"CHATHISTORY[{name!r}] must be a positive integer, not {value!r}.",
                    id="chathistory.E003",
                )
            )
    return errors
