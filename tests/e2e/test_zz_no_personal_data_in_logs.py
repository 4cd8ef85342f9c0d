"""Runs last in the e2e package (file order): after every order, document, event and import of the e2e
suite went through the handlers, no log line of any function holds a name, e-mail, phone, street or SSN
of a test order. Logs are JSON lines (one per record) with a correlation id."""

import json
import re
from pathlib import Path

from local.stack import LocalStack

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
PERSONAL_KEYS = {
    "FirstName",
    "LastName",
    "Email",
    "EmailAddress",
    "CellPhone",
    "PrivatePhone",
    "WorkPhone",
    "Phone",
    "PhoneNumber",
    "CellPhoneNumber",
    "Line1",
    "Line2",
    "CareOf",
    "SSN",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _personal_values(value: object, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PERSONAL_KEYS and isinstance(item, str) and len(item.strip()) >= 3:
                found.add(item.strip())
            _personal_values(item, found)
    elif isinstance(value, list):
        for item in value:
            _personal_values(item, found)
    return found


def personal_data_of_the_test_orders() -> set[str]:
    found: set[str] = set()
    for path in PAYLOADS.rglob("*.json"):
        _personal_values(json.loads(path.read_text()), found)
    return found


def test_the_payloads_have_personal_data_to_look_for():
    values = personal_data_of_the_test_orders()
    assert {"john.doe@example.com", "Doe", "123 Example Street", "0707654321"} <= values


def test_no_log_line_of_the_e2e_run_holds_personal_data(stack: LocalStack):
    logs = sorted((stack.state_dir / "logs").glob("*.log"))
    assert logs, "the e2e run wrote no handler logs"
    words = [
        re.compile(rf"(?<![\w@.]){re.escape(value)}(?![\w@])") for value in personal_data_of_the_test_orders()
    ]
    leaks: list[str] = []
    lines = 0
    for log in logs:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            lines += 1
            json.loads(line)  # every line is JSON
            hits = [m.group(0) for m in EMAIL.finditer(line)] + [w.pattern for w in words if w.search(line)]
            if hits:
                leaks.append(f"{log.name}: {hits[:3]} in {line[:200]}")
    assert lines > 100, "the e2e run logged almost nothing"
    assert not leaks, "personal data in the logs:\n" + "\n".join(leaks[:20])
