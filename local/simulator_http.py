"""Serving a WSGI app on 127.0.0.1 from a background thread (simulators, local API)."""

import logging
import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server


class BackgroundServer:
    """``start()`` binds 127.0.0.1:``port`` (0 = any free port, see ``.port``) and serves in a thread."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        self._app = app
        self._host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> Self:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
        self._server = make_server(self._host, self._requested_port, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"server:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class Simulator:
    """A simulator served in the background: subclasses set ``self.server`` to a ``BackgroundServer``."""

    server: BackgroundServer

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url
