"""Cold start of the built artifact (``.aws-sam/build``) as Lambda runs it, against a minimal peer.

Each run is a fresh process with ``PYTHONDONTWRITEBYTECODE=1`` and no site-packages, its ``sys.path`` built
as Lambda builds it: the function's directory (/var/task), the layer's ``python/`` (/opt/python), then boto3
and its dependencies only, copied from the .venv (what the runtime provides, /var/runtime). The function and
layer are copies made read-only (``chmod -R a-w``), as /var/task and /opt are. AWS is a local moto server
with the queues, table, bucket and secrets the API functions need; tracing is on as with
``Tracing: Active`` (``_X_AMZN_TRACE_ID`` set, ``POWERTOOLS_TRACE_DISABLED`` unset), metrics and logs go
to stdout.

(a) the order receiver: import ``app`` + init + one first request (an API Gateway event with a new order
    and Basic auth); (b) a minimal peer: ``import boto3``, read one secret, send one SQS message.
``--compare`` (and ``measure``): paired and alternating (a, b, then b, a ...), ``--runs`` pairs: median and
p90 of each and the ratio of the medians. The default run measures (a) as (c) below, beside the other API
functions, everything interleaved in one loop whose order rotates each round, ``--runs`` processes each.

The template builds for arm64: on another machine the layer's native extensions (pydantic-core, lxml,
charset-normalizer) are swapped for the same versions' host builds from the .venv, compiled the same way.

With SnapStart (``EnableSnapStart``, docs/performance.md) Lambda runs the init phase once, snapshots it and
restores copies: what stays on the caller's path is the restore and the first request. Each API function
(the order receiver, the ERP push, the event receiver) is measured three ways, each run a fresh process:

(c) cold, no SnapStart: import + init + first request, against the same peer;
(s) SnapStart priming (``PRIME_ON_INIT=1``): import + init with priming, then the first request, then
    ``--warm`` warm requests (a new ClientOrderRef each): first / warm is the issue's figure (target <= 2x);
(r) the same, with the after-restore hooks run before the first request (``snapstart.run_after_restore``:
    random reseeded, the init phase's pooled connections closed), as in each restored copy.

``--steps``: what each priming step bought: (s) with the function's ``PRIMING`` steps run one more at a
time (none = SnapStart without priming: the snapshot holds the imports only).

The ERP push sends ``SendOrderStatus`` for an order the table knows (its ``REF#`` index item is created in
moto), so each request makes its real calls (find the order, queue the document, note it on the order).

    uv run --frozen --no-sync python -m bench.cold_start_artifact [--runs N] [--build-dir DIR] [--no-bytecode]
    uv run --frozen --no-sync python -m bench.cold_start_artifact --steps [--runs N] [--warm N]

One module on purpose (over 400 lines): the Lambda-like sandbox, the paired runs and the figures must agree
on one set of paths and environments, and a figure is only as good as the sandbox it ran in.
"""

import argparse
import json
import logging
import os
import shutil
import socket
import stat
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from bench.common import ROOT, Figure, percentile

BUILD = ROOT / ".aws-sam" / "build"
FUNCTION = "OrderReceiverFunction"
LAYER = "SharedLayer"
EVENT = ROOT / "events" / "order_receiver" / "post-order-json.json"
USERNAME, PASSWORD = "norce", "norce-local"  # the event's Basic credentials
ERP_PUSH_KEY, EVENTS_KEY = "erp-push-local", "norce-events-local"  # the events' X-Api-Key
KNOWN_ORDER = "BENCH-ORDER"  # indexed in the table: the order the ERP push's documents belong to
WARM = 20
REGION = "eu-north-1"
XRAY_SDK = ("aws_xray_sdk", "wrapt")  # what `aws-lambda-powertools[tracer]` added to the layer (and botocore)
TRACE_ID = "Root=1-6744a1b2-5b1c3e2f9a8d7c6b5a4f3e2d;Parent=53995c3f42cd8ad8;Sampled=1"

# One process of one API function: import (+ priming when PRIME_ON_INIT is set, + the first ``steps`` of
# app.PRIMING), then the after-restore hooks if asked, then the first request, then the warm ones.
CHILD = """
import json, sys, time
job = json.loads(sys.stdin.read())
sys.path[:] = __PATH__ + [p for p in sys.path if p]
t = time.perf_counter()
import app
imported = (time.perf_counter() - t) * 1000
for step in getattr(app, "PRIMING", ())[: job["steps"]]:
    step()
init = (time.perf_counter() - t) * 1000
class Context:
    function_name = job["function"]; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-north-1:123456789012:function:" + job["function"]
    def get_remaining_time_in_millis(self): return 15000
def call(event):
    response = app.lambda_handler(event, Context())
    assert response["statusCode"] == job["status"] and job["expect"] in response["body"], response
restore = 0.0
if job["restore"]:
    from norce_integration import snapstart
    t = time.perf_counter()
    snapstart.run_after_restore()
    restore = (time.perf_counter() - t) * 1000
t = time.perf_counter()
call(job["events"][0])
first = (time.perf_counter() - t) * 1000
warm = []
for event in job["events"][1:]:
    t = time.perf_counter()
    call(event)
    warm.append((time.perf_counter() - t) * 1000)
steps = [getattr(step, "__name__", "?") for step in getattr(app, "PRIMING", ())]
result = {"import": imported, "init": init, "restore": restore, "first": first, "warm": warm, "steps": steps}
print("BENCH " + json.dumps(result))
"""
PEER = """
import os, sys, time
sys.path[:] = __PATH__ + [p for p in sys.path if p]
t = time.perf_counter()
import boto3
boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["CREDENTIALS_SECRET_ARN"])
boto3.client("sqs").send_message(QueueUrl=os.environ["ORDERS_QUEUE_URL"], MessageBody="peer")
print("BENCH", (time.perf_counter() - t) * 1000)
"""


@dataclass(frozen=True)
class ApiFunction:
    """An API-facing function (SnapStart on by default): how to call it and what a good answer holds."""

    resource: str  # template.yaml's name, and its directory in the build
    label: str
    service: str  # POWERTOOLS_SERVICE_NAME
    status: int
    expect: str  # in the answer's body

    def event(self, ref: str) -> dict[str, Any]:
        """An API Gateway event with a new request (``ref``: a new ClientOrderRef or order reference)."""
        if self.resource == "OrderReceiverFunction":
            event = json.loads(EVENT.read_text())
            order = json.loads(event["body"])
            order["ClientOrderRef"] = ref
        elif self.resource == "ErpPushFunction":
            event = json.loads((ROOT / "events" / "erp_push" / "push-send-order-status.json").read_text())
            # a status is keyed by order and status: each request is a repeat, queued again as the first was
            order = {"ClientOrderRef": KNOWN_ORDER, "OrderStatus": "Confirmed"}
        else:
            event = json.loads(
                (ROOT / "events" / "event_receiver" / "post-OrderConfirmedEvent.json").read_text()
            )
            order = json.loads(event["body"])
            order["ClientOrderRef"] = ref
        event["body"] = json.dumps(order)
        return event


RECEIVER_FUNCTION = ApiFunction(FUNCTION, "receiver", "order-receiver", 200, '"StatusCode":"OK"')
API_FUNCTIONS = (
    RECEIVER_FUNCTION,
    ApiFunction("ErpPushFunction", "erp push", "erp-push", 202, '"DocumentId"'),
    ApiFunction("EventReceiverFunction", "events", "event-receiver", 200, '"Outcome": "queued"'),
)


@dataclass(frozen=True)
class Staged:
    function: Path  # the order receiver's (/var/task)
    layer: Path
    runtime: Path
    swapped: tuple[str, ...]
    functions: dict[str, Path] = field(default_factory=dict)  # every API function's, by resource name

    def task(self, function: ApiFunction) -> Path:
        return self.functions.get(function.resource, self.function)


def ensure_build(build: Path, functions: tuple[ApiFunction, ...] = (RECEIVER_FUNCTION,)) -> None:
    missing = [f.resource for f in functions if not (build / f.resource).is_dir()]
    if missing or not (build / LAYER / "python").is_dir():
        if build != BUILD:
            raise SystemExit(f"{build} holds no {', '.join(missing) or LAYER + '/python'}")
        subprocess.run(["make", "build"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def _elf_machine(path: Path) -> bytes:
    with path.open("rb") as file:
        header = file.read(20)
    return header[18:20] if header[:4] == b"\x7fELF" else b""


def _compile(path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash", str(path)],
        check=True,
    )


def _strip_bytecode(path: Path) -> None:
    for cache in list(path.rglob("__pycache__")):
        shutil.rmtree(cache)


def _swap_foreign_extensions(layer: Path, bytecode: bool) -> list[str]:
    """Replace each top-level package holding another architecture's extension modules by the .venv's."""
    host = _elf_machine(Path(sys.executable).resolve())
    site = Path(sysconfig.get_paths()["purelib"])
    foreign = sorted(
        {so.relative_to(layer).parts[0] for so in layer.rglob("*.so") if _elf_machine(so) not in (host, b"")}
    )
    for name in foreign:
        if not (site / name).is_dir():
            raise SystemExit(f"{name} in the layer is built for another CPU and the .venv has no {name}")
        shutil.rmtree(layer / name)
        shutil.copytree(site / name, layer / name)
        _strip_bytecode(layer / name)
        if bytecode:
            _compile(layer / name)
    return foreign


def _runtime(target: Path) -> None:
    """boto3 and what it needs, from the .venv: what Lambda's runtime provides (/var/runtime)."""
    pending, seen = ["boto3"], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        for line in dist.requires or []:
            requirement = Requirement(line)  # extras (e.g. boto3[crt]) are not in the runtime
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
        for top in {path.parts[0] for path in dist.files or [] if path.parts and path.parts[0] != ".."}:
            source = Path(str(dist.locate_file(top)))
            if source.is_dir() and not (target / top).exists():
                shutil.copytree(source, target / top)
            elif source.is_file():
                shutil.copy2(source, target / top)
    _strip_bytecode(target)
    _compile(target)


def _read_only(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        mode = item.lstat().st_mode
        if not stat.S_ISLNK(mode):
            item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        if not item.is_symlink():
            item.chmod(item.lstat().st_mode | stat.S_IWUSR)


@contextmanager
def staged(build: Path, bytecode: bool = True, add: tuple[str, ...] = ()) -> Iterator[Staged]:
    """Read-only copies of the function and the layer (as /var/task and /opt), and the runtime's boto3;
    ``add``: top-level packages copied into the layer from the .venv (e.g. the X-Ray SDK, to price it)."""
    with tempfile.TemporaryDirectory(prefix="cold-start-artifact-") as directory:
        root = Path(directory)
        function, layer, runtime = root / "task", root / "opt" / "python", root / "runtime"
        shutil.copytree(build / FUNCTION, function)
        functions = {FUNCTION: function}
        for other in API_FUNCTIONS[1:]:  # each its own /var/task; a build from before them has none
            if (build / other.resource).is_dir():
                functions[other.resource] = root / other.resource
                shutil.copytree(build / other.resource, functions[other.resource])
        shutil.copytree(build / LAYER / "python", layer)
        runtime.mkdir()
        if not bytecode:
            for task in functions.values():
                _strip_bytecode(task)
            _strip_bytecode(layer)
        swapped = _swap_foreign_extensions(layer, bytecode)
        site = Path(sysconfig.get_paths()["purelib"])
        for name in add:
            shutil.copytree(site / name, layer / name)
            _strip_bytecode(layer / name)
            if bytecode:
                _compile(layer / name)
        _runtime(runtime)  # the runtime's boto3 keeps its bytecode either way: only ours is in question
        for path in (*functions.values(), root / "opt", runtime):
            _read_only(path)
        try:
            yield Staged(function, layer, runtime, tuple(swapped), functions)
        finally:
            for path in (*functions.values(), root / "opt", runtime):
                _writable(path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """moto on loopback with the API functions' queues, table, bucket and secrets (and the order the ERP
    push's documents belong to); yields their environment."""
    import boto3  # noqa: PLC0415 - only here
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only here

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        name = f"bench-{uuid.uuid4().hex[:8]}"  # moto's state outlives a server within one process
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
        )

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

        queue = client("sqs").create_queue(QueueName=f"{name}-orders")["QueueUrl"]
        client("dynamodb").create_table(
            TableName=f"{name}-orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client("s3").create_bucket(
            Bucket=f"{name}-archive", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        secret = client("secretsmanager").create_secret(
            Name=f"{name}-receiver-credentials",
            SecretString=json.dumps({"username": USERNAME, "password": PASSWORD}),
        )["ARN"]
        client("dynamodb").put_item(
            TableName=f"{name}-orders",
            Item={
                "pk": {"S": f"REF#{KNOWN_ORDER}"},
                "order_key": {"S": f"ORDER#-#{KNOWN_ORDER}"},
                "client_order_ref": {"S": KNOWN_ORDER},
                "erp_order_no": {"S": "ERP-1"},
            },
        )
        fifo = {"FifoQueue": "true"}
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "ORDERS_QUEUE_URL": queue,
            "ORDERS_TABLE": f"{name}-orders",
            "ARCHIVE_BUCKET": f"{name}-archive",
            "CREDENTIALS_SECRET_ARN": secret,
            "LIFECYCLE_QUEUE_URL": client("sqs").create_queue(
                QueueName=f"{name}-lifecycle.fifo", Attributes=fifo
            )["QueueUrl"],
            "ERP_PUSH_KEYS_SECRET_ARN": client("secretsmanager").create_secret(
                Name=f"{name}-erp-push-keys", SecretString=json.dumps({"apiKey": ERP_PUSH_KEY})
            )["ARN"],
            "EVENTS_QUEUE_URL": client("sqs").create_queue(QueueName=f"{name}-events")["QueueUrl"],
            "EVENTS_DLQ_URL": client("sqs").create_queue(QueueName=f"{name}-events-dlq")["QueueUrl"],
            "NORCE_EVENTS_KEYS_SECRET_ARN": client("secretsmanager").create_secret(
                Name=f"{name}-norce-events-keys", SecretString=json.dumps({"apiKey": EVENTS_KEY})
            )["ARN"],
        }
    finally:
        server.stop()


def lambda_env(
    aws: dict[str, str], task: Path, function: ApiFunction = RECEIVER_FUNCTION, prime: bool = False
) -> dict[str, str]:
    """A clean environment like Lambda's (not the bench's: tracing on, metrics on); ``prime``: with
    ``PRIME_ON_INIT=1``, the init phase primes as in a SnapStart init."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": function.resource,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(task),
        "_X_AMZN_TRACE_ID": TRACE_ID,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # UDP to nobody: segments cost their send only
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "POWERTOOLS_SERVICE_NAME": function.service,
        "POWERTOOLS_METRICS_NAMESPACE": "NorceErpIntegration",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **({"PRIME_ON_INIT": "1"} if prime else {}),
        **aws,
    }


def _event(ref: str) -> str:
    return json.dumps(RECEIVER_FUNCTION.event(ref))


def _new_ref() -> str:
    return f"BENCH-{uuid.uuid4().hex[:12]}"


def _run_child(code: str, path: list[Path], env: dict[str, str], stdin: str = "") -> str:
    """Runs ``code`` in a fresh process (no site-packages, ``sys.path`` = ``path`` first); what follows
    ``BENCH `` on its last such line."""
    program = code.replace("__PATH__", repr([str(p) for p in path]))
    result = subprocess.run(
        [sys.executable, "-S", "-s", "-B", "-c", program],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=path[0],
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"cold start run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return lines[-1].removeprefix("BENCH ")


def _child(code: str, path: list[Path], env: dict[str, str], stdin: str = "") -> list[float]:
    return [float(value) for value in _run_child(code, path, env, stdin).split()]


@dataclass(frozen=True)
class Process:
    """One fresh process of an API function (milliseconds)."""

    imported: float  # import of app (with priming, when PRIME_ON_INIT is set)
    init: float  # import + the priming steps the bench ran itself (--steps)
    restore: float  # the after-restore hooks (0 unless asked for)
    first: float
    warm: list[float]
    steps: list[str]

    @property
    def total(self) -> float:
        """What a cold start without SnapStart puts on the caller's path: init + first request."""
        return self.init + self.first

    @property
    def ratio(self) -> float:
        """The first request (after the restore hooks, if run) over this process's median warm request."""
        return (self.restore + self.first) / statistics.median(self.warm)


def run_function(
    stage: Staged,
    aws: dict[str, str],
    function: ApiFunction,
    *,
    prime: bool = False,
    steps: int = 0,
    restore: bool = False,
    warm: int = 0,
) -> Process:
    """One fresh process of ``function``: import (``prime``: with PRIME_ON_INIT=1), then the first ``steps``
    of its ``PRIMING``, then (``restore``) the after-restore hooks, the first request and ``warm`` more."""
    task = stage.task(function)
    job = {
        "function": function.resource,
        "status": function.status,
        "expect": function.expect,
        "steps": steps,
        "restore": restore,
        "events": [function.event(_new_ref()) for _ in range(1 + warm)],
    }
    env = lambda_env(aws, task, function, prime)
    result = json.loads(_run_child(CHILD, [task, stage.layer, stage.runtime], env, json.dumps(job)))
    return Process(
        result["import"], result["init"], result["restore"], result["first"], result["warm"], result["steps"]
    )


def _into(
    samples: list[Process], stage: Staged, aws: dict[str, str], function: ApiFunction, **options: Any
) -> Callable[[], None]:
    """A call that runs one process of ``function`` (``run_function``'s options) into ``samples``."""

    def call() -> None:
        samples.append(run_function(stage, aws, function, **options))

    return call


@dataclass(frozen=True)
class Samples:
    receiver: list[float]
    receiver_import: list[float]
    peer: list[float]
    swapped: tuple[str, ...]


def measure(runs: int = 15, build: Path = BUILD, bytecode: bool = True) -> Samples:
    """The receiver without SnapStart (import + init + first request) and the peer, paired."""
    ensure_build(build)
    receiver, imports, peer = [], [], []
    with staged(build, bytecode) as stage, moto_server() as aws:

        def run_receiver() -> None:
            process = run_function(stage, aws, RECEIVER_FUNCTION)
            imports.append(process.imported)
            receiver.append(process.total)

        def run_peer() -> None:
            peer.append(_child(PEER, [stage.runtime], lambda_env(aws, stage.runtime))[0])

        for index in range(runs):  # paired, alternating, so drift and order effects hit both alike
            for run_one in (run_receiver, run_peer) if index % 2 == 0 else (run_peer, run_receiver):
                run_one()
    return Samples(receiver, imports, peer, stage.swapped)


def figures(samples: Samples, label: str = "artifact") -> list[Figure]:
    receiver, peer = statistics.median(samples.receiver), statistics.median(samples.peer)
    swapped = f"native: host builds of {', '.join(samples.swapped)}" if samples.swapped else ""
    return [
        Figure(f"{label}: receiver import + init + first request, median", receiver, "ms", note=swapped),
        Figure(
            f"{label}: receiver import + init + first request, p90", percentile(samples.receiver, 0.9), "ms"
        ),
        Figure(f"{label}: receiver import only, median", statistics.median(samples.receiver_import), "ms"),
        Figure(f"{label}: peer (boto3, 1 secret, 1 SQS message), median", peer, "ms"),
        Figure(f"{label}: peer (boto3, 1 secret, 1 SQS message), p90", percentile(samples.peer, 0.9), "ms"),
        Figure(
            f"{label}: receiver / peer (medians)", receiver / peer, "x", note=f"{len(samples.peer)} pairs"
        ),
    ]


@dataclass(frozen=True)
class ApiSamples:
    """Per API function (by label): cold without SnapStart, SnapStart priming, and priming + restore."""

    cold: dict[str, list[Process]]
    snapstart: dict[str, list[Process]]
    restored: dict[str, list[Process]]
    peer: list[float]
    swapped: tuple[str, ...]


def measure_api(runs: int = 15, build: Path = BUILD, bytecode: bool = True, warm: int = WARM) -> ApiSamples:
    """Each API function three ways, and the peer, interleaved in one loop (the order rotates each round)."""
    ensure_build(build, API_FUNCTIONS)
    cold: dict[str, list[Process]] = {f.label: [] for f in API_FUNCTIONS}
    snapstart: dict[str, list[Process]] = {f.label: [] for f in API_FUNCTIONS}
    restored: dict[str, list[Process]] = {f.label: [] for f in API_FUNCTIONS}
    peer: list[float] = []
    with staged(build, bytecode) as stage, moto_server() as aws:
        calls: list[Callable[[], None]] = []
        for function in API_FUNCTIONS:
            calls += [
                _into(cold[function.label], stage, aws, function),
                _into(snapstart[function.label], stage, aws, function, prime=True, warm=warm),
                _into(restored[function.label], stage, aws, function, prime=True, restore=True, warm=warm),
            ]

        def run_peer() -> None:
            peer.append(_child(PEER, [stage.runtime], lambda_env(aws, stage.runtime))[0])

        calls.append(run_peer)
        for index in range(runs):
            shift = index % len(calls)
            for call in calls[shift:] + calls[:shift]:
                call()
    return ApiSamples(cold, snapstart, restored, peer, stage.swapped)


def _median_p90(values: list[float]) -> tuple[float, str]:
    return statistics.median(values), f"p90 {percentile(values, 0.9):.2f}"


def api_figures(samples: ApiSamples, label: str = "artifact") -> list[Figure]:
    swapped = f"; native: host builds of {', '.join(samples.swapped)}" if samples.swapped else ""
    peer, peer_p90 = _median_p90(samples.peer)
    found = [
        Figure(
            f"{label}: peer (boto3, 1 secret, 1 SQS message), median", peer, "ms", note=peer_p90 + swapped
        ),
    ]
    for name, processes in samples.cold.items():  # no SnapStart
        total, p90 = _median_p90([p.total for p in processes])
        found += [
            Figure(f"{label}: {name} import + init + first request, median", total, "ms", note=p90),
            Figure(
                f"{label}: {name} import only, median", statistics.median(p.imported for p in processes), "ms"
            ),
            Figure(f"{label}: {name} / peer (medians)", total / peer, "x", note=f"{len(samples.peer)} runs"),
        ]
    for name, processes in samples.snapstart.items():  # SnapStart priming, first request after init
        init, init_p90 = _median_p90([p.init for p in processes])
        first, first_p90 = _median_p90([p.first for p in processes])
        warm, warm_p90 = _median_p90([ms for p in processes for ms in p.warm])
        restored = samples.restored[name]
        hooks, hooks_p90 = _median_p90([p.restore for p in restored])
        after, after_p90 = _median_p90([p.restore + p.first for p in restored])
        found += [
            Figure(f"snapstart: {name} init (import + priming), median", init, "ms", note=init_p90),
            Figure(f"snapstart: {name} first request after init, median", first, "ms", note=first_p90),
            Figure(f"snapstart: {name} warm request, median", warm, "ms", note=warm_p90),
            Figure(
                f"snapstart: {name} first / warm",
                statistics.median(p.ratio for p in processes),
                "x",
                target=2.0,
                note=f"median of {len(processes)} per-process ratios",
            ),
            Figure(f"snapstart: {name} after-restore hooks, median", hooks, "ms", note=hooks_p90),
            Figure(f"snapstart: {name} hooks + first request, median", after, "ms", note=after_p90),
            Figure(
                f"snapstart: {name} (hooks + first) / warm",
                statistics.median(p.ratio for p in restored),
                "x",
                target=2.0,
                note="pools closed: the first request reconnects",
            ),
        ]
    return found


def run(runs: int = 15, build: Path = BUILD, bytecode: bool = True) -> list[Figure]:
    """Every figure of the default run: the three API functions cold, with SnapStart priming, and after
    the restore hooks; the peer. Ratios: the receiver's (and the others') cold start over the peer."""
    return api_figures(measure_api(runs, build, bytecode))


def measure_steps(
    runs: int = 7, build: Path = BUILD, bytecode: bool = True, warm: int = WARM
) -> dict[str, dict[int, list[Process]]]:
    """For each API function, its ``PRIMING`` steps run one more at a time after the import (0: none,
    SnapStart without priming), then the first request and ``warm`` more; interleaved, rotated."""
    ensure_build(build, API_FUNCTIONS)
    samples: dict[str, dict[int, list[Process]]] = {}
    with staged(build, bytecode) as stage, moto_server() as aws:
        calls: list[Callable[[], None]] = []
        for function in API_FUNCTIONS:
            count = len(run_function(stage, aws, function).steps)  # also warms the page cache
            samples[function.label] = {k: [] for k in range(count + 1)}
            for k in range(count + 1):
                calls.append(_into(samples[function.label][k], stage, aws, function, steps=k, warm=warm))
        for index in range(runs):
            shift = index % len(calls)
            for call in calls[shift:] + calls[:shift]:
                call()
    return samples


def step_figures(samples: dict[str, dict[int, list[Process]]]) -> list[Figure]:
    """Per function and priming steps run: the first request's median and its ratio to a warm request."""
    found = []
    for name, by_count in samples.items():
        for count, processes in by_count.items():
            steps = processes[0].steps
            primed = "imports only (no priming)" if count == 0 else f"+ {steps[count - 1]}"
            first, p90 = _median_p90([p.first for p in processes])
            ratio = statistics.median(p.ratio for p in processes)
            init = statistics.median(p.init for p in processes)
            warm = statistics.median(ms for p in processes for ms in p.warm)
            note = f"first/warm {ratio:.2f}x; {p90}; init {init:.0f} ms; warm {warm:.2f} ms"
            found.append(Figure(f"steps: {name} {primed}: first request, median", first, "ms", note=note))
    return found


def compare(runs: int, variants: dict[str, tuple[Path, bool, tuple[str, ...]]]) -> dict[str, Samples]:
    """Several receivers (label -> build dir, bytecode, packages added) and the peer, interleaved in one
    loop (the order rotates each round), so machine noise hits all alike: what each step bought."""
    for build, _, _ in variants.values():
        ensure_build(build)
    totals: dict[str, list[float]] = {label: [] for label in [*variants, "peer"]}
    imports: dict[str, list[float]] = {label: [] for label in variants}
    with ExitStack() as stack:
        stages = {
            label: stack.enter_context(staged(build, code, add))
            for label, (build, code, add) in variants.items()
        }
        aws = stack.enter_context(moto_server())
        runtime = next(iter(stages.values())).runtime
        calls: list[Callable[[], None]] = []
        for label, stage in stages.items():

            def receiver(label: str = label, stage: Staged = stage) -> None:
                process = run_function(stage, aws, RECEIVER_FUNCTION)
                imports[label].append(process.imported)
                totals[label].append(process.total)

            calls.append(receiver)

        def peer() -> None:
            totals["peer"].append(_child(PEER, [runtime], lambda_env(aws, runtime))[0])

        calls.append(peer)
        for index in range(runs):
            shift = index % len(calls)
            for call in calls[shift:] + calls[:shift]:
                call()
    return {
        label: Samples(totals[label], imports[label], totals["peer"], stages[label].swapped)
        for label in variants
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="processes per measurement (default 15)")
    parser.add_argument("--warm", type=int, default=WARM, help=f"warm requests per process (default {WARM})")
    parser.add_argument(
        "--steps", action="store_true", help="what each priming step bought: PRIMING[:k] for every k"
    )
    parser.add_argument(
        "--build-dir", type=Path, default=BUILD, help="a sam build output (default .aws-sam/build)"
    )
    parser.add_argument("--no-bytecode", action="store_true", help="drop the artifact's .pyc files first")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="interleave in one loop: the artifact, without bytecode, with the X-Ray SDK added, and the peer",
    )
    parser.add_argument("--other-build", type=Path, help="with --compare: one more build to interleave")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.compare:
        variants = {
            "artifact": (args.build_dir, True, ()),
            "artifact without bytecode": (args.build_dir, False, ()),
            "artifact + X-Ray SDK": (args.build_dir, True, XRAY_SDK),
        }
        if args.other_build:
            variants[str(args.other_build)] = (args.other_build, True, ())
        for label, samples in compare(args.runs, variants).items():
            for figure in figures(samples, label):
                print(figure.line(), flush=True)
    elif args.steps:
        for figure in step_figures(measure_steps(args.runs, args.build_dir, not args.no_bytecode, args.warm)):
            print(figure.line(), flush=True)
    else:
        label = "artifact" + (" without bytecode" if args.no_bytecode else "")
        measured = measure_api(args.runs, args.build_dir, not args.no_bytecode, args.warm)
        for figure in api_figures(measured, label):
            print(figure.line(), flush=True)
    print(f"  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
