import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """Tests make many requests from one address; throttling has its own tests."""
    settings.ANON_THROTTLE_RATE = "none"
    cache.clear()
