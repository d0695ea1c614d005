"""Django's database session store, refusing a session key made of anything but the characters keys are made of.

Django checks only a key's length, so a cookie such as ``sessionid="abcdefgh\\000ijkl"`` (an
escaped NUL) reaches the session query, which PostgreSQL refuses with an error: a 500 for a
forged cookie. Such a key is now no session at all, as any other unknown key is.
"""

from __future__ import annotations

import string

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

# What django.contrib.sessions makes its keys of (get_random_string with these characters).
_KEY_CHARACTERS = frozenset(string.ascii_lowercase + string.digits)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and super()._validate_session_key(key) and set(key) <= _KEY_CHARACTERS
