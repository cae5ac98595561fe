"""Cached answers to anonymous searches (issue 6: throughput).

A search answer depends on three things, and its cache key holds all three:

- the request: its absolute URL (the links in a page are absolute) and ``Accept``;
- the data: ``DataVersion.number``, which database triggers increment with every write
  to the directory's tables (migration 0007), in the writer's transaction. It is read
  before the answer is computed, so an answer is never stored under a number older than
  the data it was computed from;
- the time: ``needs_verification`` changes with the date in Los Angeles, and
  ``open_now`` with the minute. An instant exactly on a minute differs from the rest of
  that minute (a facility closing at 18:00 is open at 18:00:00 and closed just after,
  DESIGN §4), so with ``open_now`` the key holds the minute and whether the instant is
  exactly on it. No other parameter depends on the clock.

Only anonymous ``200`` answers of list actions are cached; a curator's requests and
every error are answered afresh. The cache is Django's (``CACHE_URL``; in-process
memory per worker by default) and entries live ``API_CACHE_SECONDS`` (0 turns the cache
off). Throttling and authentication run before the cache is consulted.
"""

import hashlib
from datetime import UTC

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.response import Response

from directory.models import DataVersion

KEY_PREFIX = "directory.answer"
# Parameters whose answer depends on the minute, not only on the date.
MINUTE_PARAMETERS = {"open_now"}


def data_version():
    """The directory's data version, or None when its row is missing (then: no caching)."""
    return DataVersion.objects.filter(pk=1).values_list("number", flat=True).first()


def time_bucket(request, now):
    if MINUTE_PARAMETERS.intersection(request.query_params):
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        return f"{minute:%Y-%m-%dT%H:%M}{'=' if now == minute else '+'}"
    return timezone.localdate(now).isoformat()


def answer_key(request, *, now=None):
    """The cache key of this request's answer, or None when it must not be cached."""
    if settings.API_CACHE_SECONDS <= 0 or request.user.is_authenticated:
        return None
    version = data_version()
    if version is None:
        return None
    now = now or timezone.now()
    request_part = f"{request.build_absolute_uri()}\n{request.headers.get('Accept', '')}"
    digest = hashlib.sha256(request_part.encode()).hexdigest()
    return f"{KEY_PREFIX}:{version}:{time_bucket(request, now)}:{digest}"


class CachedListMixin:
    """Answer anonymous list requests from the cache, and cache their 200 answers."""

    def list(self, request, *args, **kwargs):
        key = answer_key(request)
        if key is None:
            return super().list(request, *args, **kwargs)
        data = cache.get(key)
        if data is not None:
            return Response(data)
        response = super().list(request, *args, **kwargs)
        if response.status_code == 200:
            cache.set(key, response.data, settings.API_CACHE_SECONDS)
        return response
