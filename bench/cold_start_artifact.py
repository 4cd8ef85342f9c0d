"""Cold start of the built artifact (``.aws-sam/build``) as Lambda runs it, against a minimal peer.

Each run is a fresh process with ``PYTHONDONTWRITEBYTECODE=1`` and no site-packages, its ``sys.path`` built
as Lambda builds it: the function's directory (/var/task), the layer's ``python/`` (/opt/python), then boto3
and its dependencies only, copied from the .venv (what the runtime provides, /var/runtime). The function and
layer are copies made read-only (``chmod -R a-w``), as /var/task and /opt are. AWS is a local moto server
with the queue, table, bucket and credentials secret the receiver needs; tracing is on as with
``Tracing: Active`` (``_X_AMZN_TRACE_ID`` set, ``POWERTOOLS_TRACE_DISABLED`` unset), metrics and logs go
to stdout.

(a) the order receiver: import ``app`` + init + one first request (an API Gateway event with a new order
    and Basic auth); (b) a minimal peer: ``import boto3``, read one secret, send one SQS message.
Paired and alternating (a, b, then b, a ...), ``--runs`` pairs (default 15): median and p90 of each and
the ratio of the medians.

The template builds for arm64: on another machine the layer's native extensions (pydantic-core, lxml,
charset-normalizer) are swapped for the same versions' host builds from the .venv, compiled the same way.

    uv run --frozen --no-sync python -m bench.cold_start_artifact [--runs N] [--build-dir DIR] [--no-bytecode]
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
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
REGION = "eu-north-1"
XRAY_SDK = ("aws_xray_sdk", "wrapt")  # what `aws-lambda-powertools[tracer]` added to the layer (and botocore)
TRACE_ID = "Root=1-6744a1b2-5b1c3e2f9a8d7c6b5a4f3e2d;Parent=53995c3f42cd8ad8;Sampled=1"

RECEIVER = """
import json, sys, time
event = json.loads(sys.stdin.read())
sys.path[:] = __PATH__ + [p for p in sys.path if p]
t = time.perf_counter()
import app
imported = (time.perf_counter() - t) * 1000
class Context:
    function_name = "OrderReceiverFunction"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-north-1:123456789012:function:OrderReceiverFunction"
    def get_remaining_time_in_millis(self): return 15000
response = app.lambda_handler(event, Context())
total = (time.perf_counter() - t) * 1000
assert response["statusCode"] == 200 and "OK" in response["body"], response
print("BENCH", imported, total)
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
class Staged:
    function: Path
    layer: Path
    runtime: Path
    swapped: tuple[str, ...]


def ensure_build(build: Path) -> None:
    if not (build / FUNCTION).is_dir() or not (build / LAYER / "python").is_dir():
        if build != BUILD:
            raise SystemExit(f"{build} holds no {FUNCTION} and {LAYER}/python")
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
        shutil.copytree(build / LAYER / "python", layer)
        runtime.mkdir()
        if not bytecode:
            _strip_bytecode(function)
            _strip_bytecode(layer)
        swapped = _swap_foreign_extensions(layer, bytecode)
        site = Path(sysconfig.get_paths()["purelib"])
        for name in add:
            shutil.copytree(site / name, layer / name)
            _strip_bytecode(layer / name)
            if bytecode:
                _compile(layer / name)
        _runtime(runtime)  # the runtime's boto3 keeps its bytecode either way: only ours is in question
        for path in (function, root / "opt", runtime):
            _read_only(path)
        try:
            yield Staged(function, layer, runtime, tuple(swapped))
        finally:
            for path in (function, root / "opt", runtime):
                _writable(path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """moto on loopback with the receiver's queue, table, bucket and secret; yields the receiver's env."""
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
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "ORDERS_QUEUE_URL": queue,
            "ORDERS_TABLE": f"{name}-orders",
            "ARCHIVE_BUCKET": f"{name}-archive",
            "CREDENTIALS_SECRET_ARN": secret,
        }
    finally:
        server.stop()


def lambda_env(aws: dict[str, str], task: Path) -> dict[str, str]:
    """A clean environment like Lambda's (not the bench's: tracing on, metrics on)."""
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
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(task),
        "_X_AMZN_TRACE_ID": TRACE_ID,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # UDP to nobody: segments cost their send only
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "POWERTOOLS_SERVICE_NAME": "order-receiver",
        "POWERTOOLS_METRICS_NAMESPACE": "NorceErpIntegration",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **aws,
    }


def _event(ref: str) -> str:
    event = json.loads(EVENT.read_text())
    order = json.loads(event["body"])
    order["ClientOrderRef"] = ref
    event["body"] = json.dumps(order)
    return json.dumps(event)


def _child(code: str, path: list[Path], env: dict[str, str], stdin: str = "") -> list[float]:
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
    return [float(value) for value in lines[-1].split()[1:]]


@dataclass(frozen=True)
class Samples:
    receiver: list[float]
    receiver_import: list[float]
    peer: list[float]
    swapped: tuple[str, ...]


def measure(runs: int = 15, build: Path = BUILD, bytecode: bool = True) -> Samples:
    ensure_build(build)
    receiver, imports, peer = [], [], []
    with staged(build, bytecode) as stage, moto_server() as aws:
        env = lambda_env(aws, stage.function)
        receiver_path = [stage.function, stage.layer, stage.runtime]
        peer_path = [stage.runtime]

        def run_receiver() -> None:
            imported, total = _child(RECEIVER, receiver_path, env, _event(f"BENCH-{uuid.uuid4().hex[:12]}"))
            imports.append(imported)
            receiver.append(total)

        def run_peer() -> None:
            peer.append(_child(PEER, peer_path, env)[0])

        for index in range(runs):  # paired, alternating, so drift and order effects hit both alike
            for run in (run_receiver, run_peer) if index % 2 == 0 else (run_peer, run_receiver):
                run()
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


def run(runs: int = 15, build: Path = BUILD, bytecode: bool = True) -> list[Figure]:
    return figures(measure(runs, build, bytecode))


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
        calls = []
        for label, stage in stages.items():

            def receiver(label: str = label, stage: Staged = stage) -> None:
                path, env = [stage.function, stage.layer, stage.runtime], lambda_env(aws, stage.function)
                imported, total = _child(RECEIVER, path, env, _event(f"BENCH-{uuid.uuid4().hex[:12]}"))
                imports[label].append(imported)
                totals[label].append(total)

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
    parser.add_argument("--runs", type=int, default=15, help="pairs of runs (default 15)")
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
    else:
        label = "artifact" + (" without bytecode" if args.no_bytecode else "")
        for figure in figures(measure(args.runs, args.build_dir, not args.no_bytecode), label):
            print(figure.line(), flush=True)
    print(f"  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
