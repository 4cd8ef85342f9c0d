"""moto's server with one request at a time: ``python -m local.moto_serial --port 5000``.

moto's backends are not atomic across threads; DynamoDB's conditional writes and SQS's receives are.
Serializing requests keeps those promises, so the local stack shows the real concurrency behaviour
(twenty copies of an order at once -> one queued order) instead of moto's races.

One request at a time is one core at most, and under the soak's load moto was the stack's bottleneck
(3,349 CPU-s in an hour, three quarters of it DynamoDB). With ``--dynamodb-port`` DynamoDB's requests
(``X-Amz-Target: DynamoDB_*``) are forwarded to a second moto on that port, serialized there, so the two
services' requests no longer wait for each other; everything still goes through one endpoint.
"""

import argparse
import functools
import http.client
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import moto.backends
import moto.core.responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler
from werkzeug.serving import make_server


class Serialized:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class DynamoDbElsewhere:
    """DynamoDB's requests forwarded, as they came, to the moto on ``port`` (not serialized here: that moto
    serializes its own); every other request to ``app``."""

    DROPPED = frozenset({"connection", "keep-alive", "transfer-encoding", "date", "server"})  # ours are set

    def __init__(self, app: Callable[..., Iterable[bytes]], port: int) -> None:
        self._app, self._port = app, port

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            name[5:].replace("_", "-").title(): str(value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        }
        headers["Content-Type"] = str(environ.get("CONTENT_TYPE", ""))
        headers["Content-Length"] = str(len(body))
        query = environ.get("QUERY_STRING")
        path = str(environ.get("PATH_INFO") or "/") + (f"?{query}" if query else "")
        connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=60)
        try:  # one connection a request, never retried: a write must not be made twice
            connection.request(str(environ["REQUEST_METHOD"]), path, body, headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        kept = [(name, value) for name, value in answer.getheaders() if name.lower() not in self.DROPPED]
        start_response(f"{answer.status} {answer.reason}", kept)
        return [data]


def cache_moto_lookups() -> None:
    """Two of moto's lookups give the same answer on every request, and cost a fifth of its CPU: the list
    of its own modules (an ``os.listdir`` and a ``stat`` of every entry of its package, to find the backend
    of each request) and the method names of a response class (``inspect.getmembers``). Computed once."""
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    responses: Any = moto.core.responses
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def exit_with_parent() -> None:
    """A local stack that dies without stopping us must not leave moto running: poll the parent."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--dynamodb-port", type=int, help="forward DynamoDB's requests to the moto on this port"
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    exit_with_parent()
    cache_moto_lookups()
    app: Callable[..., Iterable[bytes]] = Serialized(DomainDispatcherApplication(create_backend_app))
    if args.dynamodb_port:
        app = DynamoDbElsewhere(app, args.dynamodb_port)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"moto on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
