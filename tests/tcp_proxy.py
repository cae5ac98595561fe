"""A TCP proxy on loopback that a test can cut and restore, to play a database outage
without touching the database server that other tests use."""

import contextlib
import socket
import threading

POLL_SECONDS = 0.1
CHUNK = 65536


class TcpProxy:
    """Forward connections to 127.0.0.1:``port`` to ``target`` (host, port).

    ``cut()`` drops every forwarded connection and, until ``restore()``, closes each new
    one as soon as it is accepted: to a client it is a server that went away.
    """

    def __init__(self, target):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL_SECONDS)
        self.port = self._listener.getsockname()[1]
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopped = threading.Event()
        self._sockets = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def cut(self):
        """Drop every open connection and refuse new ones (until restore)."""
        self._forwarding.clear()
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _close(sock)

    def restore(self):
        self._forwarding.set()

    def close(self):
        self._stopped.set()
        self.cut()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            if not self._forwarding.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            with contextlib.suppress(OSError):
                while chunk := source.recv(CHUNK):
                    sink.sendall(chunk)
        finally:
            with self._lock:
                self._sockets.difference_update((source, sink))
            _close(source)
            _close(sink)


def _close(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
