"""The suite's settings with every query sent through PgBouncer in transaction mode (``PGBOUNCER_URL``).

Run by ``python -m tests.support.pgbouncer``, which starts PgBouncer and sets the URL. In
transaction mode two transactions of one connection may run on two server connections, so nothing
may outlive a transaction: no server-side cursors, no session settings, no prepared statements
(Django's psycopg backend binds parameters on the client unless told otherwise).
"""

import os

import dj_database_url

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"] = {
    **dj_database_url.parse(os.environ["PGBOUNCER_URL"]),
    "DISABLE_SERVER_SIDE_CURSORS": True,
}
