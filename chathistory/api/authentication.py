"""The API's token authentication: DRF's, with the token and its user read by one written-out SELECT."""

from __future__ import annotations

from typing import Any

from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from chathistory import selects


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, answered as DRF answers it.

    Every API request runs this lookup; DRF's ``select_related("user").get(key=key)`` spends more
    compiling the query than running it. A key with a NUL is an invalid token before it reaches
    the database (PostgreSQL refuses to compare it).
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        token: Any = None
        if "\x00" not in key:
            token = selects.get_one(model, using=router.db_for_read(model), related="user", key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
