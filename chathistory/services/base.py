"""What every service shares: the database a write goes to, and how a rejection is raised and logged."""

from __future__ import annotations

import logging

from django.db import router
from django.db.models import Model

from chathistory.exceptions import FieldErrors, ValidationError

logger = logging.getLogger("chathistory")


def write_alias(model: type[Model], instance: Model | None = None) -> str:
    """The database the project's routers choose for writing ``model`` (next to ``instance``, if given)."""
    return router.db_for_write(model, instance=instance)


def reject(errors: FieldErrors | list[FieldErrors], rule: str) -> ValidationError:
    """The ``ValidationError`` to raise for ``errors``, logged by field names only, never by values."""
    error = ValidationError(errors)
    logger.info("rejected input (%s): fields %s", rule, ", ".join(error.fields))
    return error
