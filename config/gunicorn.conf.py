"""gunicorn settings for serving the app: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Command-line options (``-w``, ``-b``) override these.

Garbage collection is tuned once a worker has loaded the app, and runs between requests:
see config/process.py.
"""

import os

from config.process import collect_between_requests, settle_garbage_collector

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))


def post_worker_init(worker):
    """The worker has imported the app: tune the garbage collector for serving."""
    settle_garbage_collector()


def post_request(worker, req, environ, resp):
    """The answer is sent (a sync worker closes the connection after this): collect now
    what the next request would otherwise pause for."""
    collect_between_requests()
