"""gunicorn settings for serving the app: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Command-line options (``-w``, ``-b``) override these.

Garbage collection: a loaded Django app holds a few hundred thousand long-lived
objects (modules, URL patterns, serializers, the OpenAPI schema), and every full
(generation 2) collection walks all of them: 60–90 ms pauses every ~15 search
requests were measured (docs/performance.md). ``gc.freeze()`` after the worker has
loaded the app moves them to a permanent generation the collector skips, which cuts
those pauses and the API p95 without changing what the app does.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))


def post_worker_init(worker):
    """The worker has imported the app: freeze what is alive now out of the collector's way."""
    gc.collect()
    gc.freeze()
