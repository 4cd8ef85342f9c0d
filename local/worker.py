"""Local execution environments: processes that each load one function's handler, as Lambda loads
``app.py``, and run the invocations they are sent one at a time (started by ``local.workers``).

``python -m local.worker --fd N`` is the zygote: it imports what every handler needs once (the
layer, Powertools, boto3, pydantic, lxml: about a second of CPU), then forks one *image* per function. An
image sets the function's environment and runs its init phase once (a SnapStart function's with its
priming and before-snapshot hooks, as Lambda does before it takes the snapshot), then forks the function's
execution environments from that memory, each running the after-restore hooks: a new environment (a
scale-out, a replacement for a killed one) is ready in milliseconds, as a SnapStart restore is. None of
these processes holds anything of the local stack's (no moto, no simulators): what dies with an environment
is only what dies with a Lambda one.

Frames on a socket are a 4-byte big-endian length and JSON; a fork request is a descriptor (one byte with
the new socket) then a frame, answered ``{"pid"}``. An image, and then each environment, first sends
``{"ready": true}`` (an image ``{"error": ...}`` when its module cannot be loaded); an environment then
answers each invocation (``{"event", "timeout", "request_id"}``) with ``{"result": ...}`` or ``{"error":
{"errorType", "errorMessage"}}``, and its peak RSS. A socket closing (the stack gone) ends its process.
"""

import argparse
import importlib
import importlib.util
import json
import os
import pkgutil
import resource
import signal
import socket
import struct
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">I")
# Imported once by the zygote (then the layer's every module): what makes a handler's cold start slow.
PRELOAD = (
    "boto3",
    "botocore.session",
    "requests",
    "pydantic",
    "lxml.etree",
    "jinja2",
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.typing",
)


def send_frame(connection: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, default=str).encode()
    connection.sendall(HEADER.pack(len(data)) + data)


def receive_frame(connection: socket.socket) -> dict[str, Any] | None:
    """The next frame, or None when the other side closed the socket (or died)."""
    header = _exactly(connection, HEADER.size)
    if header is None:
        return None
    data = _exactly(connection, HEADER.unpack(header)[0])
    if data is None:
        return None
    message: dict[str, Any] = json.loads(data)
    return message


def _exactly(connection: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class LambdaContext:
    """The parts of a Lambda context that Powertools and the handlers read."""

    memory_limit_in_mb = 512

    def __init__(self, function_name: str, request_id: str, deadline: float) -> None:
        self.function_name = function_name
        self.aws_request_id = request_id
        self.invoked_function_arn = f"arn:aws:lambda:eu-north-1:123456789012:function:{function_name}"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def print_failure(error: BaseException) -> None:
    """The error's type and where it happened, on stderr (``workers.txt``); never its message, which may
    quote an order or a customer (no personal data in a log line)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    print(f"{type(error).__module__}.{type(error).__qualname__} at\n{frames}", file=sys.stderr, flush=True)


def peak_rss_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # kilobytes on Linux


def load(module_file: Path, handler_name: str, log_file: Path | None) -> Any:
    """The handler, its module loaded as Lambda does (the layer on the path), logging into ``log_file``."""
    sys.path.insert(0, str(module_file.parent))
    spec = importlib.util.spec_from_file_location(module_file.stem, module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_file.stem] = module
    spec.loader.exec_module(module)
    if hasattr(module, "metrics"):  # Powertools prints the cold-start EMF line even with metrics disabled
        module.metrics.provider.add_cold_start_metric = lambda context: None
    if log_file is not None and hasattr(module, "logger"):
        log_file.parent.mkdir(parents=True, exist_ok=True)
        module.logger.registered_handler.setStream(log_file.open("a", encoding="utf-8"))
    if log_file is not None and hasattr(module, "metrics"):
        _record_metrics(module.metrics, metrics_file(log_file))
    return getattr(module, handler_name)


def metrics_file(log_file: Path) -> Path:
    """Where a function's workers note the metrics they add (``{service}.metrics``, one name a line)."""
    return log_file.with_suffix(".metrics")


def _record_metrics(metrics: Any, path: Path) -> None:
    """Metrics are not published locally: each one added is noted by name, so a test or a person can see
    which alarms' metrics a run would have raised."""
    add_metric = metrics.add_metric

    def noted(*args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else "")
        with path.open("a", encoding="utf-8") as notes:
            notes.write(f"{name}\n")
        return add_metric(*args, **kwargs)

    metrics.add_metric = noted


def serve(connection: socket.socket, function_name: str, handler: Any) -> None:
    """Invocations until the socket closes: ``{"event", "timeout", "request_id"}`` -> the answer."""
    while (request := receive_frame(connection)) is not None:
        context = LambdaContext(function_name, request["request_id"], time.time() + float(request["timeout"]))
        try:
            answer: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as error:  # noqa: BLE001 - Lambda reports the function error; the environment lives on
            print_failure(error)
            answer = {"error": {"errorType": type(error).__name__, "errorMessage": str(error)[:500]}}
        answer["peak_rss_kb"] = peak_rss_kb()
        send_frame(connection, answer)


def preload() -> None:
    """What every handler imports, loaded before any function is (copy-on-write after each fork)."""
    for name in PRELOAD:
        importlib.import_module(name)
    import norce_integration  # noqa: PLC0415 - the layer, on the path only now

    for module in pkgutil.walk_packages(norce_integration.__path__, "norce_integration."):
        importlib.import_module(module.name)


def _forks(control: socket.socket, child: Callable[[socket.socket, dict[str, Any]], None]) -> None:
    """Until ``control`` closes: per request (a descriptor, then a frame) fork, run ``child`` with the
    descriptor's socket and the frame in the new process, answer ``{"pid"}``. Children are reaped by the
    kernel when they end (no zombies)."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        _, descriptors, _, _ = socket.recv_fds(control, 1, 1)
        request = receive_frame(control) if descriptors else None
        if request is None:  # the stack is gone
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                child(socket.socket(fileno=descriptors[0]), request)
            except BaseException as error:  # noqa: BLE001 - a child never returns into its parent's loop
                print_failure(error)
            finally:
                os._exit(0)
        os.close(descriptors[0])
        send_frame(control, {"pid": pid})


def function_image(connection: socket.socket, request: dict[str, Any]) -> None:
    """A function's image: its environment set and its init phase run once (with SnapStart, priming and
    the before-snapshot hooks too), then one environment forked per request on ``connection``, each
    starting from this memory as a SnapStart restore does."""
    os.environ.clear()
    os.environ.update(request["environment"])
    snap_start = bool(request.get("snap_start"))
    os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start" if snap_start else "on-demand"
    started = time.perf_counter()
    try:
        log = Path(request["log"]) if request["log"] else None
        handler = load(Path(request["module"]), request["handler"], log)
        if snap_start:
            from norce_integration.snapstart import run_before_snapshot  # noqa: PLC0415 - the layer's

            run_before_snapshot()
    except Exception as error:  # noqa: BLE001 - Runtime.ImportModuleError: this function cannot serve
        print_failure(error)
        failure = {"errorType": "Runtime.ImportModuleError", "errorMessage": str(error)}
        send_frame(connection, {"error": failure})
        return
    send_frame(connection, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000})
    function = request["function"]

    def environment(invocations: socket.socket, _: dict[str, Any]) -> None:
        if snap_start:
            from norce_integration.snapstart import run_after_restore  # noqa: PLC0415 - the layer's

            run_after_restore()
        send_frame(invocations, {"ready": True})
        serve(invocations, function, handler)

    _forks(connection, environment)


def zygote(control: socket.socket) -> None:
    """The preload, then one function image forked per request: ``{"function", "module", "handler",
    "log", "environment", "snap_start"}``."""
    started = time.perf_counter()
    preload()
    send_frame(control, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000})
    _forks(control, function_image)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the control socket's descriptor")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    warnings.filterwarnings("ignore", message="No application metrics to publish")  # metrics are off
    zygote(socket.socket(fileno=args.fd))


if __name__ == "__main__":
    main()
