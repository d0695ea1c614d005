"""drf-spectacular's decorators, bound to drf-spectacular's ``AutoSchema`` whatever the project configures.

``extend_schema`` builds its schema class on DRF's ``DEFAULT_SCHEMA_CLASS`` at the moment it
decorates. A project that never set that to drf-spectacular's (DRF's default is its own
``AutoSchema``) would get annotations built on the wrong base, and a 500 from ``/schema/``.
These wrappers decorate with drf-spectacular's class in place, so the app's views describe
themselves the same way in every project. Use them instead of drf-spectacular's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from drf_spectacular import utils
from drf_spectacular.openapi import AutoSchema
from rest_framework.settings import api_settings

Decorated = TypeVar("Decorated")
_MISSING = object()


@contextmanager
def _spectacular_schema_class() -> Iterator[None]:
    saved = api_settings.__dict__.get("DEFAULT_SCHEMA_CLASS", _MISSING)
    api_settings.DEFAULT_SCHEMA_CLASS = AutoSchema  # type: ignore[assignment]  # the stubs type it as the dotted path
    try:
        yield
    finally:
        if saved is _MISSING:
            del api_settings.DEFAULT_SCHEMA_CLASS
        else:
            api_settings.DEFAULT_SCHEMA_CLASS = saved


def _bound(decorator: Callable[[Decorated], Decorated]) -> Callable[[Decorated], Decorated]:
    def apply(target: Decorated) -> Decorated:
        with _spectacular_schema_class():
            return decorator(target)

    return apply


def extend_schema(**kwargs: Any) -> Callable[[Any], Any]:
    """``drf_spectacular.utils.extend_schema``, on drf-spectacular's ``AutoSchema``."""
    return _bound(utils.extend_schema(**kwargs))


def extend_schema_view(**kwargs: Any) -> Callable[[Any], Any]:
    """``drf_spectacular.utils.extend_schema_view``, on drf-spectacular's ``AutoSchema``."""
    return _bound(utils.extend_schema_view(**kwargs))
