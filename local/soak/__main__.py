"""``python -m local.soak`` (``make soak ARGS="..."``): Black Friday on the local stack, by default for an
hour, with faults and killed workers; the audit's table, the figures, and a last line that says whether
anything was lost or doubled (the exit status too)."""

import argparse
import sys
from pathlib import Path

from local.soak.chaos import EVERY_FAULT, chosen_faults
from local.soak.run import SoakOptions, quick_options, run


def options_from(argv: list[str] | None) -> SoakOptions:
    parser = argparse.ArgumentParser(prog="python -m local.soak", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a few minutes: 200 orders in 1 min, kills every 8 s"
    )
    parser.add_argument("--orders", type=int, help="orders Norce pushes (default 6000; --quick 200)")
    parser.add_argument("--minutes", type=float, help="minutes of load (default 60; --quick 1)")
    parser.add_argument(
        "--kill-every", type=float, help="seconds between kills (default 30; --quick 8; 0: none)"
    )
    parser.add_argument(
        "--faults", default="all", help=f"comma separated, or all / none: {', '.join(EVERY_FAULT)}"
    )
    parser.add_argument("--seed", type=int, default=1, help="the same seed makes the same load and chaos")
    parser.add_argument("--report", help="write the JSON report here (default: report.json in --state-dir)")
    parser.add_argument("--state-dir", help="the stack's logs and the report (default .local-state/soak)")
    args = parser.parse_args(argv)
    try:
        faults = chosen_faults(args.faults)
    except ValueError as error:
        parser.error(str(error))
    given = {
        name: value
        for name, value in (
            ("orders", args.orders),
            ("minutes", args.minutes),
            ("kill_every", args.kill_every),
        )
        if value is not None
    }
    common: dict[str, object] = {"faults": faults, "seed": args.seed}
    if args.report:
        common["report"] = Path(args.report)
    if args.state_dir:
        common["state_dir"] = Path(args.state_dir)
    if args.quick:
        return quick_options(**given, **common)
    return SoakOptions(**{"orders": 6000, "minutes": 60.0, "kill_every": 30.0, **given, **common})


def main(argv: list[str] | None = None) -> int:
    options = options_from(argv)
    outcome = run(options)
    print()
    print(outcome.audit.table())
    print()
    print(outcome.figures.text())
    print()
    print(outcome.summary(), flush=True)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
