"""The host-project suite: run it with ``pytest --ds=tests.hostproject.settings tests/hostproject``.

Under any other settings these tests are not collected (their user model is not installed there).
"""

import pytest
from django.conf import settings

from tests.factories import make_user

HOST = settings.ROOT_URLCONF == "tests.hostproject.urls"
if not HOST:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def user(db):
    return make_user()


@pytest.fixture
def other_user(db):
    return make_user()
