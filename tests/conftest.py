import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from directory import reference
from tests.admin_support import make_superuser


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def admin_client(client):
    """Django's test client logged in as a superuser (the admin's pages)."""
    client.force_login(make_superuser())
    return client


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """Tests make many requests from one address; throttling has its own tests."""
    settings.ANON_THROTTLE_RATE = "none"
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """A test's rolled-back writes must not leave reference data cached for the next."""
    reference.clear()
    yield
    reference.clear()


@pytest.fixture(scope="module")
def migrated_data_restored(django_db_blocker):
    """After the module, reload the rows of the data migrations (care levels, neighborhoods,
    the Curators group) that a ``transaction=True`` test's flush removed.

    Only for tests that take ``serialized_rollback`` (which gives the test those rows,
    then flushes them with the rest, without recreating the content types): the tests
    that run later (transactional ones run last) find the database as migrated.
    Module-scoped, so it is set up before the test's database and torn down after its
    flush.
    """
    yield
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)
