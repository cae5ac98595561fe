import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle

logger = logging.getLogger(__name__)

# What a cache backend raises when its server cannot be reached (Redis, memcached).
CACHE_UNAVAILABLE = (RedisError, OSError)


class AnonymousRateThrottle(AnonRateThrottle):
    """Anonymous requests per client address, at the ANON_THROTTLE_RATE setting.

    The rate is read when a request comes (not when the class is defined), so
    ``none`` switches throttling off and tests can change it. The counts live in the
    default cache: with several processes it must be a shared one (CACHE_URL=redis://…).
    If that cache is unreachable the request is let through: an outage of the throttle's
    store should not take the directory down with it.
    """

    def get_rate(self):
        rate = settings.ANON_THROTTLE_RATE
        return None if str(rate).lower() == "none" else rate

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_UNAVAILABLE as error:
            logger.warning("throttle cache unavailable, request let through: %s", error)
            return True
