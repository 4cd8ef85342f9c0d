"""Cold start: importing the receiver module in a fresh process, against ``import boto3, json``."""

import os
import statistics
import subprocess
import sys

from bench.common import ROOT, Figure, percentile

BASELINE = "import time; t = time.perf_counter(); import boto3, json; print((time.perf_counter() - t) * 1000)"
RECEIVER = f"""
import sys, time
sys.path[:0] = [{str(ROOT / "layers" / "shared")!r}, {str(ROOT / "functions" / "order_receiver")!r}]
t = time.perf_counter()
import app
imported = (time.perf_counter() - t) * 1000
from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.api.basic_auth import BasicAuthenticator, Credential
from norce_integration.intake.service import OrderIntake
from norce_integration.settings import ReceiverSettings
import json, base64
app.settings = lambda: ReceiverSettings("q", "t", "b", "s", 5242880, 300, 90, 1.0, None)
app.authenticator = lambda: BasicAuthenticator(lambda: [Credential("norce", "norce-local")])
intake = OrderIntake(ledger=InMemoryLedger(), archive=InMemoryArchive(), queue=InMemoryQueue())
app.intake = lambda: intake
event = json.load(open({str(ROOT / "events" / "order_receiver" / "post-order-json.json")!r}))
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-north-1:1:function:bench"
    def get_remaining_time_in_millis(self): return 15000
assert app.lambda_handler(event, Context())["statusCode"] == 200
print(imported, (time.perf_counter() - t) * 1000)
"""
ENV = {
    **os.environ,
    "POWERTOOLS_SERVICE_NAME": "order-receiver",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "POWERTOOLS_METRICS_DISABLED": "1",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "AWS_DEFAULT_REGION": "eu-north-1",
}


def _run(code: str) -> list[float]:
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    return [float(value) for value in output.stdout.strip().splitlines()[-1].split()]  # EMF lines come first


def run(repetitions: int = 15) -> list[Figure]:
    baseline, imports, first_requests = [], [], []
    for _ in range(repetitions):  # interleaved, so machine noise hits both alike
        baseline.append(_run(BASELINE)[0])
        imported, first = _run(RECEIVER)
        imports.append(imported)
        first_requests.append(first)
    base, receiver = statistics.median(baseline), statistics.median(imports)
    return [
        Figure("import boto3, json (baseline), median", base, "ms"),
        Figure("import order_receiver, median", receiver, "ms", 250.0),
        Figure("import order_receiver, p90", percentile(imports, 0.9), "ms"),
        Figure("import order_receiver / baseline", receiver / base, "x", 1.5),
        Figure(
            "import + first request (in-memory adapters), median",
            statistics.median(first_requests),
            "ms",
            note="first call also loads the X-Ray SDK (LazyTracer)",
        ),
    ]
