"""Finding the user a command names, by whatever field the project's user model signs in with."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_named(username: str) -> Any:
    """The user whose ``USERNAME_FIELD`` (a username, an email …) is ``username``; a ``CommandError`` if none is."""
    model = get_user_model()
    try:
        # As Django's changepassword looks one up: any manager has get(), not every one get_by_natural_key().
        return model._default_manager.get(**{model.USERNAME_FIELD: username})
    except model.DoesNotExist:
        raise CommandError(f"No user {username!r}.") from None
