from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousRateThrottle(AnonRateThrottle):
    """Anonymous requests per client address, at the ANON_THROTTLE_RATE setting.

    The rate is read when a request comes (not when the class is defined), so
    ``none`` switches throttling off and tests can change it.
    """

    def get_rate(self):
        rate = settings.ANON_THROTTLE_RATE
        return None if str(rate).lower() == "none" else rate
