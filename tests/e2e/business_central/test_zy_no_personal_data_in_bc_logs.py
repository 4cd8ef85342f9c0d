"""Runs after this package's other tests and before its demo (file order: the demo starts a stack of its own,
which takes the handlers' log streams): no log line of any function holds a name, e-mail, phone or street
of a test order (Business Central's messages included)."""

import json
import re

from local.stack import LocalStack
from tests.e2e.test_zz_no_personal_data_in_logs import EMAIL, personal_data_of_the_test_orders


def test_no_log_line_of_the_business_central_run_holds_personal_data(stack: LocalStack):
    logs = sorted((stack.state_dir / "logs").glob("*.log"))
    words = [
        re.compile(rf"(?<![\w@.]){re.escape(value)}(?![\w@])") for value in personal_data_of_the_test_orders()
    ]
    leaks: list[str] = []
    lines = 0
    for log in logs:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            lines += 1
            json.loads(line)
            hits = [m.group(0) for m in EMAIL.finditer(line)] + [w.pattern for w in words if w.search(line)]
            if hits:
                leaks.append(f"{log.name}: {hits[:3]} in {line[:200]}")
    assert lines > 50, "the run logged almost nothing"
    assert not leaks, "personal data in the logs:\n" + "\n".join(leaks[:20])
