"""chatsite's settings for the test suite: SQLite unless DATABASE_URL names another database."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ["DJANGO_DEBUG"] = "0"

from chatsite.settings import *  # noqa: F403

# Fast hashing: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["loggers"]["chathistory"]["level"] = "WARNING"  # noqa: F405

# Throttling stays on (a test lowers it) at rates no test reaches.
CHATHISTORY["THROTTLE_RATES"] = {"anon": "100000/minute", "user": "100000/minute"}  # noqa: F405
# APIClient sends JSON unless told otherwise, as every chathistory client does.
REST_FRAMEWORK = {"TEST_REQUEST_DEFAULT_FORMAT": "json"}
# The fuzz run's in-process WSGI client sends "Host: localhost".
ALLOWED_HOSTS = ["testserver", "localhost"]
