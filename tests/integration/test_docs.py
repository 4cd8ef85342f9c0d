"""The documents a first deploy relies on say what the template does: every parameter with its default
(docs/configuration.md), every stack output the README names, and every reviewed security-scan skip
(docs/security.md)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE: dict[str, Any] = decode_str((ROOT / "template.yaml").read_text())[0]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
OUTPUTS: dict[str, Any] = TEMPLATE["Outputs"]
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs/configuration.md").read_text()
SECURITY = (ROOT / "docs/security.md").read_text()
EMPTY = "*(empty)*"


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells; `\\|` is a pipe inside a cell."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def _table_under(document: str, heading: str) -> list[list[str]]:
    section = document.split(heading, 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 2, f"no table under {heading!r}"
    return [_cells(row) for row in rows[2:]]  # past the header and its --- row


def _documented_parameters() -> dict[str, str]:
    documented: dict[str, str] = {}
    for cells in _table_under(CONFIGURATION, "## Template parameters"):
        names = re.findall(r"`(\w+)`", cells[0])
        assert len(names) == 1, f"one parameter per row: {cells[0]!r}"
        assert names[0] not in documented, f"{names[0]} is documented twice"
        documented[names[0]] = cells[1]
    return documented


def _default_matches(default: Any, documented: str) -> bool:
    if default == "":
        return documented == EMPTY
    code = re.fullmatch(r"`([^`]+)`", documented)
    if not code:
        return False
    if isinstance(default, bool) or not isinstance(default, int | float):
        return code[1] == str(default)
    return float(code[1]) == float(default)


def test_every_template_parameter_is_documented_once_with_its_default():
    documented = _documented_parameters()
    assert set(documented) == set(PARAMETERS), (
        f"missing: {sorted(set(PARAMETERS) - set(documented))}, "
        f"not in the template: {sorted(set(documented) - set(PARAMETERS))}"
    )
    for name, parameter in PARAMETERS.items():
        assert "Default" in parameter, f"{name} has no default: `sam deploy --guided` could not be Enter-ed"
        assert _default_matches(parameter["Default"], documented[name]), (
            f"{name}: the template's default is {parameter['Default']!r}, the table says {documented[name]}"
        )


def test_every_template_parameter_has_a_description_for_the_console_and_guided_deploys():
    assert [name for name, parameter in PARAMETERS.items() if not parameter.get("Description")] == []


OUTPUT_NAME = re.compile(r"`([A-Z][A-Za-z0-9]*(?:Url|Arn|Name))`")


def _outputs_named(text: str) -> set[str]:
    """`SomethingUrl` / `...Arn` / `...Name` in prose, and `$(out Something)` in the shell snippets."""
    return (set(OUTPUT_NAME.findall(text)) | set(re.findall(r"\$\(out (\w+)\)", text))) - set(PARAMETERS)


def test_every_stack_output_the_readme_names_exists():
    named = _outputs_named(README)
    assert {"ErpApiKeySecretArn", "NorceConnectSecretArn", "OrderEndpointUrl"} <= named
    assert named, "the README names the stack outputs to read"
    assert sorted(named - set(OUTPUTS)) == [], "the README names outputs the template does not have"


def _section(document: str, heading: str) -> str:
    return re.split(r"\n## ", document.split(f"\n## {heading}\n", 1)[1], maxsplit=1)[0]


def test_point_norce_at_it_lists_every_url_and_secret_to_paste_into_norce_admin():
    section = _section(README, "Point Norce at it")
    listed = _outputs_named(section)
    event_urls = {name for name in OUTPUTS if re.fullmatch(r"\w+(Event|Notification)Url", name)}
    assert len(event_urls) >= 6
    needed = {
        "OrderEndpointUrl",
        "ReceiverCredentialsSecretArn",
        "NorceEventsKeysSecretArn",
        "ErpPushKeysSecretArn",
        *event_urls,
    }
    assert sorted(needed - listed) == []
    for name in event_urls:  # each event type's URL is the typed route of that type
        event_type = name.removesuffix("Url")
        assert OUTPUTS[name]["Value"]["Fn::Sub"].endswith(f"/norce/events/{event_type}"), name
        assert f"`{event_type}`" in section, f"the README names {event_type} for Norce Admin"


def test_deploy_says_which_secrets_to_fill_and_how():
    section = _section(README, "Deploy")
    for output in ("ErpApiKeySecretArn", "NorceConnectSecretArn"):
        assert output in OUTPUTS
        assert re.search(rf"put-secret-value --secret-id \"\$\(out {output}\)\"", section), output
    assert "sam deploy --guided" in section and "make build" in section
    assert "create-email-identity" in section, "SES sender verification"
    for function in ("OrderReceiverFunction", "ErpPushFunction", "EventReceiverFunction"):
        assert f"`{function}" in section or f"`{function}`" in section, (
            f"the no-authentication prompt of {function}"
        )


def test_what_it_costs_states_region_date_and_arithmetic():
    section = _section(README, "What it costs")
    assert "10,000 orders" in section
    assert re.search(r"us-east-1 list prices as of [A-Z][a-z]+ 20\d\d", section)
    assert "pricing pages" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    amounts = [float(_cells(row)[-1]) for row in rows if not row.startswith("| **total**")]
    [total_row] = [row for row in rows if row.startswith("| **total**")]
    total = float(re.findall(r"[\d.]+", _cells(total_row)[-1])[0])
    assert abs(sum(amounts) - total) < 0.05, f"the rows add up to {sum(amounts):.2f}, the total says {total}"


CHECKOV_CONFIG = ROOT / ".checkov/config.yaml"


def _config_skips() -> list[str]:
    skips: list[str] = yaml.safe_load(CHECKOV_CONFIG.read_text())["skip-check"]
    return skips


def test_every_security_scan_skip_has_its_reason_in_the_config_and_in_docs_security():
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skips = _config_skips()
    assert skips and len(skips) == len(set(skips))
    for check in skips:
        [at] = [i for i, line in enumerate(lines) if line.strip() == f"- {check}"]
        assert lines[at - 1].strip().startswith("#"), (
            f"{check} has no reason above it in {CHECKOV_CONFIG.name}"
        )
        assert re.search(rf"^\|\s*`{check}`\s*\|[^|]+\|\s*\S", SECURITY, re.M), (
            f"{check} is not in docs/security.md's table of skips, with its reason"
        )


def test_every_inline_suppression_in_the_template_is_in_docs_security():
    for name, resource in TEMPLATE["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip.get("comment"), f"{name}: {skip['id']} without a reason"
            assert re.search(rf"`{skip['id']}`[^\n]*`{name}`", SECURITY), (
                f"{name}: {skip['id']} not documented"
            )


@pytest.mark.parametrize(
    "item",
    [
        "Least-privilege IAM",
        "Encryption at rest",
        "Secrets",
        "Access logs",
        "Throttling",
        "Request-size limits",
        "TLS only",
        "Policy scan",
    ],
)
def test_docs_security_covers_each_item_of_the_review(item):
    assert re.search(rf"^## .*{re.escape(item)}", SECURITY, re.M | re.I), item
