"""``make import ENTITY=customers MODE=full [FORCE=true]``: run one import on the running local stack now.

Fires the template's import schedule through ``POST /_local/schedules/{ScheduleName}`` with the given input,
prints the run's summary, then follows its jobs (``ImportJobsFollow``) until Norce has finished them.
"""

import argparse
import json
import sys
import time
import urllib.request
from typing import Any

SCHEDULES = {
    ("customers", "delta"): "CustomersDelta",
    ("customers", "full"): "CustomersFull",
    ("companies", "delta"): "CompaniesDelta",
    ("companies", "full"): "CompaniesFull",
}


def fire(api: str, schedule: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(payload).encode() if payload is not None else b""
    request = urllib.request.Request(f"{api}/_local/schedules/{schedule}", data=data, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=900) as answer:  # noqa: S310 - loopback
        return dict(json.loads(answer.read()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("entity", choices=["customers", "companies"])
    parser.add_argument("mode", choices=["delta", "full"])
    parser.add_argument("--force", action="store_true", help="send a full import past the shrink guard")
    parser.add_argument("--api", default="http://127.0.0.1:3000")
    args = parser.parse_args(argv)
    payload = {"entity": args.entity, "mode": args.mode, "force": args.force}
    summary = fire(args.api, SCHEDULES[(args.entity, args.mode)], payload)
    print(json.dumps(summary, indent=2))
    deadline = time.monotonic() + 60
    while summary.get("jobIds") and time.monotonic() < deadline:
        report = fire(args.api, "ImportJobsFollow")
        if not report.get("running") and not report.get("late"):
            print(f"jobs followed: {json.dumps(report)}")
            break
        time.sleep(1)
    return 0 if summary.get("outcome") in ("sent", "nothing_to_send") else 1


if __name__ == "__main__":
    sys.exit(main())
