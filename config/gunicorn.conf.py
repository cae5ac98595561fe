"""gunicorn settings for serving the app: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Command-line options (``-w``, ``-b``) override these.

Garbage collection is tuned once a worker has loaded the app, and runs between requests:
see config/process.py.
"""

import os

from config.process import settle_garbage_collector

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gunicorn's sync worker, collecting garbage after each request (config/workers.py).
worker_class = "config.workers.CollectingSyncWorker"


def post_worker_init(worker):
    """The worker has imported the app: tune the garbage collector for serving."""
    settle_garbage_collector()
