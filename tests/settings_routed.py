"""The suite's settings with a router that sends chathistory to a second database, ``chat``.

Nothing of chathistory's may reach ``default``, which keeps the sessions.
"""

from pathlib import Path

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

_default = DATABASES["default"]
DATABASES["chat"] = {
    **_default,
    "NAME": (
        str(Path(_default["NAME"]).with_name("chat.sqlite3"))
        if _default["ENGINE"] == "django.db.backends.sqlite3"
        else f"{_default['NAME']}_chat"
    ),
    "TEST": {},
}
DATABASE_ROUTERS = ["tests.routers.ChatDatabaseRouter"]
