"""System checks for ``settings.CHATHISTORY`` (chathistory.E001…)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from chathistory.conf import DEFAULTS, OPTIONAL_DEFAULTS


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    config = getattr(settings, "CHATHISTORY", {})
    if not isinstance(config, dict):
        return [Error("CHATHISTORY must be a dict.", id="chathistory.E001")]
    errors = []
    known = {*DEFAULTS, *OPTIONAL_DEFAULTS}
    for name in sorted(set(config) - known):
        errors.append(
            Error(
                f"CHATHISTORY has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(known))}.",
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
    search_config = config.get("SEARCH_CONFIG", "simple")
    if not isinstance(search_config, str) or not search_config:
        errors.append(
            Error(
                f"CHATHISTORY['SEARCH_CONFIG'] must name a text search configuration, not {search_config!r}.",
                hint="Such as 'simple' (whole words in any language) or 'english'.",
                id="chathistory.E005",
            )
        )
    for name in sorted(set(config) & known - {"READ_REPLICAS", "SEARCH_CONFIG"}):
        value = config[name]
        if value is None and name in OPTIONAL_DEFAULTS:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"CHATHISTORY[{name!r}] must be a positive integer, not {value!r}.",
                    id="chathistory.E003",
                )
            )
    return errors
