"""Run the benchmarks and print their figures with the ratio to each target (`make bench`).

``--quick`` runs tiny sizes (a smoke test, not figures to quote); ``--only NAME`` runs one group.
"""

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable

from bench import (
    cold_start,
    cold_start_artifact,
    event_burst,
    events,
    imports,
    lifecycle,
    pipeline,
    processor,
    throughput,
    warm,
)
from bench.common import Figure


def groups(quick: bool) -> dict[str, Callable[[], list[Figure]]]:
    scale = 0.05 if quick else 1.0
    return {
        "cold_start": lambda: cold_start.run(3 if quick else 15),
        "cold_start_artifact": lambda: cold_start_artifact.run(3 if quick else 15),
        "warm": lambda: warm.run(scale),
        "processor": lambda: (
            processor.overhead(100 if quick else 2000) + processor.overhead_over_http(20 if quick else 300)
        ),
        "concurrency": lambda: processor.throughput(
            (1, 2) if quick else (1, 2, 5, 10, 20), 6 if quick else 60
        ),
        "local_stack": lambda: throughput.run(20 if quick else 300, (1, 4) if quick else (1, 4, 16)),
        "pipeline": lambda: (
            pipeline.run((0.2,), seconds=5, minimum=20) if quick else pipeline.run(pipeline.LATENCIES)
        ),
        "event_burst": lambda: event_burst.run(10 if quick else 50),
        "lifecycle": lambda: lifecycle.run(0.05 if quick else 1.0),
        "events": lambda: events.run(0.05 if quick else 1.0),
        "imports": lambda: imports.run(0.05 if quick else 1.0),
    }


# What a group measures, when its name does not say it.
LABELS = {
    "cold_start": "proxy: import in .venv",
    "cold_start_artifact": "the built artifact (.aws-sam/build) as Lambda runs it, against a boto3 peer",
    "events": "receiver warm against moto over HTTP; processor with in-memory ports (proxy)",
    "imports": "streamed over loopback HTTP to a byte-counting sink, beside list + json.dumps",
    "event_burst": "the local stack's API: Norce Event's senders side by side, each its own connection",
    "pipeline": "the local stack end to end: receiver, queue, processors, ERP simulator, Norce confirmation",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=sorted(groups(False)))
    args = parser.parse_args(argv)
    for name, value in {
        "POWERTOOLS_SERVICE_NAME": "order-receiver",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_METRICS_DISABLED": "1",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }.items():
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", message="No application metrics to publish")  # metrics are off here
    print(
        f"# bench {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
        f"{'quick' if args.quick else 'full'}"
    )
    for name, run in groups(args.quick).items():
        if args.only and name != args.only:
            continue
        label = f" ({LABELS[name]})" if name in LABELS else ""
        print(f"\n## {name}{label}", flush=True)
        for figure in run():
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
