"""The host-project suite: run it with ``pytest --ds=tests.hostproject.settings tests/hostproject``.

Under any other settings these tests are not collected (their user model is not installed there).
"""

import itertools

import pytest
from django.conf import settings

HOST = settings.ROOT_URLCONF == "tests.hostproject.urls"
if not HOST:
    collect_ignore_glob = ["test_*.py"]

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_host_user(**overrides):
    from django.contrib.auth import get_user_model

    overrides.setdefault("email", f"person{next(_numbers)}@host.example")
    overrides.setdefault("password", PASSWORD)
    return get_user_model().objects.create_user(**overrides)


@pytest.fixture
def user(db):
    return make_host_user()


@pytest.fixture
def other_user(db):
    return make_host_user()
