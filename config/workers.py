"""gunicorn's sync worker, collecting garbage between requests (config/process.py).

The collection runs once ``SyncWorker.handle`` has returned: the answer is sent, the
connection closed, and every object of the request released. gunicorn's
``post_request`` hook runs earlier, while the worker still holds the response (and
through it the view, the request, the serializer and the page's rows): a young
collection there would walk them as live objects and move them to an older generation.
"""

from gunicorn.workers.sync import SyncWorker

from config.process import collect_between_requests


class CollectingSyncWorker(SyncWorker):
    def handle(self, listener, client, addr):
        try:
            super().handle(listener, client, addr)
        finally:
            collect_between_requests()
