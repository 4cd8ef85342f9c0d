"""The layers as docs/architecture.md ("Where things live") draws them, held by the code's own imports: a new
capability cannot quietly make a circle or reach from the domain into AWS or HTTP."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "shared" / "norce_integration"

FOUNDATION = {"contracts", "failures", "settings", "erp", "norce", "codec", "orders", "jobs", "api"}
RUNTIME = {"snapstart", "observability"}  # the Lambda side the handlers share; they import none of ours
FLOWS = {"intake", "processing", "lifecycle", "events", "imports"}
# room -> the rooms of ours it may import (besides itself)
MAY_IMPORT: dict[str, set[str]] = {
    "contracts": set(),
    "failures": set(),
    "settings": set(),
    "snapstart": set(),
    "observability": set(),
    "api": set(),
    "erp": set(),
    "orders": set(),
    "norce": {"contracts"},
    "codec": {"contracts"},
    "jobs": {"contracts", "norce", "failures"},
    "intake": {"contracts", "codec", "orders", "failures"},
    "processing": {"contracts", "codec", "erp", "norce", "orders", "failures", "jobs"},
    "lifecycle": {"contracts", "codec", "erp", "norce", "orders", "failures"},
    "events": {"contracts", "erp", "norce", "orders", "failures", "jobs"},
    "imports": {"contracts", "erp", "norce", "failures", "jobs"},
    "adapters": FOUNDATION | RUNTIME | FLOWS,
    "bootstrap": FOUNDATION | RUNTIME | FLOWS | {"adapters"},
}
SDKS = {"boto3", "botocore", "requests", "moto", "urllib3"}


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth (lazy imports inside functions count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _room(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_room_of_the_package_has_its_rules():
    assert {_room(path) for path in MODULES} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_the_rooms_its_room_may(path: Path):
    room = _room(path)
    ours = {name.split(".")[1] for name in _imports(path) if name.startswith("norce_integration.")}
    assert ours - {room} <= MAY_IMPORT[room], (
        f"{room}/ may not import {sorted(ours - MAY_IMPORT[room] - {room})}"
    )


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if _room(p) in FOUNDATION | FLOWS],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_domain_touches_no_aws_sdk_and_no_http(path: Path):
    sdks = {name.split(".")[0] for name in _imports(path)} & SDKS
    assert not sdks, f"{path.relative_to(PACKAGE)} imports {sorted(sdks)}: that belongs in adapters/"


def test_the_flows_do_not_import_each_other():
    for path in MODULES:
        room = _room(path)
        if room in FLOWS:
            others = {n.split(".")[1] for n in _imports(path) if n.startswith("norce_integration.")} & FLOWS
            assert others <= {room}, (
                f"{path.relative_to(PACKAGE)} imports the flow(s) {sorted(others - {room})}"
            )


def test_only_bootstrap_and_the_handlers_build_aws_and_http_adapters():
    """What builds an adapter imports its module outside a type check; ``adapters`` may import each other."""
    for path in MODULES:
        if _room(path) in ("bootstrap", "adapters"):
            continue
        built = [
            n
            for n in _imports(path)
            if n.startswith(("norce_integration.adapters.aws", "norce_integration.adapters.http"))
        ]
        assert not built, f"{path.relative_to(PACKAGE)} imports {built}"


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "unit").glob("*.py")), ids=lambda p: p.name)
def test_unit_tests_touch_no_aws_sdk(path: Path):
    sdks = {name.split(".")[0] for name in _imports(path)} & {"boto3", "botocore", "moto"}
    assert not sdks, f"{path.name} uses {sorted(sdks)}: it belongs in tests/integration"
