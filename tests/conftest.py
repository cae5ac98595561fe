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
