"""Serving the app with waitress, within bounds: how many connections, how long an idle one stays, how large a
request may be; the server's own refusals as ErrorBody; and a graceful stop (stop accepting, finish what is in
flight within a grace period, close)."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask, WSGITask

from .api.wire import MAX_BODY_BYTES

# the limits of a served simulator (README, "Serving")
CONNECTION_LIMIT = 500  # open connections; more wait in the listen backlog. Below the usual 1024 descriptors
IDLE_TIMEOUT = 15  # seconds an idle (keep-alive) connection stays open
CLEANUP_INTERVAL = 2  # seconds between checks for idle connections
MAX_HEADER_BYTES = 64 * 1024  # all request headers together
STOP_GRACE = 10.0  # seconds in-flight requests get to finish after SIGTERM or SIGINT
THREADS = 16  # more than a handful of clients running heavy queries at once, so a light request finds a thread
# How often Python passes the GIL between threads (default 5 ms). A light request needs the GIL a few times; with
# heavy queries holding it 5 ms at a time it waited hundreds of ms (bench/hostile_load.py latency: p99 413 ms for
# get-version at 5 ms, 43 ms at 0.25 ms, 16 threads, 8 clients hammering a 10,000-VM world)
SWITCH_INTERVAL = 0.00025


class _ErrorBodyTask(ErrorTask):
    """waitress' own refusals (a malformed request, headers or body too large) as an ErrorBody, not plain text."""

    def execute(self):
        e = self.request.error
        status = 400 if e.code == 413 else e.code  # upstream declares 400 for a refused body, and no 413
        what = (f"the request body is larger than cloudtower-sim's bound of {MAX_BODY_BYTES} bytes"
                if e.code == 413 else f"{e.reason}: {e.body}")
        body = json.dumps({"message": what[:1000], "status": status, "path": self.request.path or "/"}).encode()
        self.status = f"{status} {'Bad Request' if status == 400 else e.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("x-tower-request-id", str(uuid.uuid4()))])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _DroppingTask(WSGITask):
    """An answer the app marks dropped (an injected `drop` fault, api/faults.py) is never written: the connection
    closes with no answer at all, as a tower's that died mid-request would."""

    def _dropped(self) -> bool:
        return bool(getattr(self, "environ", None) and self.environ.get("cloudtower_sim.drop"))

    def write(self, data):
        if self._dropped():
            self.wrote_header, self.close_on_finish = True, True
            return
        super().write(data)

    def finish(self):
        if self._dropped():
            self.close_on_finish = True
            return
        super().finish()


class _Channel(HTTPChannel):
    task_class = _DroppingTask
    error_task_class = _ErrorBodyTask


class Server:
    def __init__(self, app, host: str, port: int, threads: int):
        self.waitress = create_server(app, host=host, port=port, threads=threads, connection_limit=CONNECTION_LIMIT,
                                      channel_timeout=IDLE_TIMEOUT, cleanup_interval=CLEANUP_INTERVAL,
                                      max_request_header_size=MAX_HEADER_BYTES,
                                      max_request_body_size=MAX_BODY_BYTES, ident="cloudtower-sim",
                                      # keeps reading a connection while its request waits or runs, so that a
                                      # client that has gone is noticed and its queued read skipped (api/wire.py)
                                      channel_request_lookahead=1)
        self.waitress.channel_class = _Channel
        self.port = self.waitress.effective_port
        self._stopping = False
        # waitress warns "Task queue depth is N" for every request queued behind busy threads: thousands of lines
        # a minute under load, saying only that the server is loaded
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def stop(self) -> None:
        """Ask the serving loop to stop (from a signal handler): it stops accepting, then finishes in-flight work."""
        self._stopping = True

    def run(self) -> int:
        """Serve until stop(); answer how many requests were still unfinished when the grace period ran out."""
        server = self.waitress
        while not self._stopping:  # a short poll: stop() is seen within 0.1 s
            server.asyncore.loop(timeout=0.1, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)
        server.accepting = False
        server.del_channel()  # no new connections from here on; keep-alive clients may still finish
        server.socket.close()
        deadline = time.monotonic() + STOP_GRACE
        while self._busy() and time.monotonic() < deadline:
            server.asyncore.loop(timeout=0.05, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)
        left = self._busy()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        for channel in list(server._map.values()):
            channel.close()
        return left

    def _busy(self) -> int:
        dispatcher = self.waitress.task_dispatcher
        channels = [c for c in self.waitress._map.values() if isinstance(c, HTTPChannel)]
        writing = sum(1 for c in channels if c.requests or c.total_outbufs_len)
        return max(dispatcher.active_count + len(dispatcher.queue), writing)


class InThread:
    """An app served on a free loopback port, in a thread of this process: the pytest plugin's fixture and the
    tests' servers. The loop and its stop stay in that one thread, so no socket is closed under a running select()."""

    def __init__(self, app, threads: int = 4, name: str = "cloudtower-sim"):
        self.server = Server(app, "127.0.0.1", 0, threads)
        self.root = f"http://127.0.0.1:{self.server.port}"
        self.base_url = self.root + "/v2/api"
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=name)
        self.thread.start()

    def close(self) -> None:
        self.server.stop()
        self.thread.join(timeout=15)
        if self.thread.is_alive():
            raise RuntimeError(f"the simulator served at {self.root} did not stop within 15 s")
