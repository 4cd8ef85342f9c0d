"""The quick soak in CI: ``make soak ARGS=--quick`` on a stack of its own, a few hundred orders with every
fault and a few killed workers, then the audit. Nothing may be lost or doubled (docs/reliability.md: it
takes about three minutes on a 2-core machine)."""

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"^soak: (\d+) orders, (\d+) documents, (\d+) events in ([\d.]+) min; "
    r"lost (\d+), doubled (\d+), parked (\d+) \((all explained|\d+ UNEXPLAINED)\)$"
)


@pytest.fixture(autouse=True)
def healthy_simulators() -> Iterator[None]:
    """The soak starts a stack of its own: the package's stack (conftest) is not needed here."""
    yield


@pytest.mark.timeout(420)
def test_the_quick_soak_loses_and_doubles_nothing_under_faults_and_kills(tmp_path: Path) -> None:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "local.soak", "--quick", "--seed", "7", "--state-dir", str(tmp_path / "soak")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    # its duration is printed, not asserted: a speed target is bench's, never a test's
    print(f"the quick soak took {time.monotonic() - started:.0f} s")
    print(run.stdout[-6000:])
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
    found = LAST_LINE.match(last)
    assert found, f"the last line is not the soak's verdict: {last!r}"
    orders, documents, events, _, lost, doubled, _, explained = found.groups()
    assert (lost, doubled, explained) == ("0", "0", "all explained"), last
    assert run.returncode == 0, last
    assert int(orders) >= 150 and int(documents) >= 50 and int(events) >= 300, last

    report = json.loads((tmp_path / "soak" / "report.json").read_text())
    assert len(report["kills"]) >= 3, "a few workers were killed"
    assert sum(1 for kill in report["kills"] if kill["busy"]) >= 2, "some mid-invocation"
    assert len({fault["name"] for fault in report["faults"]}) >= 3, "several kinds of faults"
