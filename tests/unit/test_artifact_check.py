"""scripts/check_artifact.py on small fake builds: a good tree passes, each check catches its problem;
scripts/prune_layer.py removes its list, keeps the rest, and refuses to remove what is imported."""

import py_compile
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from scripts import check_artifact, prune_layer

LOCK = """
version = 1
[[package]]
name = "boto3"
version = "1.40.0"
[[package]]
name = "botocore"
version = "1.40.0"
"""
PYPROJECT = """
[project]
name = "x"
dependencies = ["pydantic"]
[dependency-groups]
dev = ["pytest>=8", "moto[server]>=5", "cfn-lint>=1.20", "aws-xray-sdk>=2.14", {include-group = "other"}]
"""


def write(path: Path, text: str = "VALUE = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def compile_all(build: Path, mode=py_compile.PycInvalidationMode.UNCHECKED_HASH) -> None:
    for source in build.rglob("*.py"):
        py_compile.compile(str(source), doraise=True, invalidation_mode=mode)


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    write(tmp_path / "uv.lock", LOCK)
    write(tmp_path / "pyproject.toml", PYPROJECT)
    build = tmp_path / "build"
    write(build / "SharedLayer" / "python" / "norce_integration" / "__init__.py")
    write(build / "SharedLayer" / "python" / "norce_integration" / "settings.py")
    write(build / "SharedLayer" / "python" / "pydantic" / "__init__.py")
    (build / "SharedLayer" / "python" / "pydantic-2.0.0.dist-info").mkdir()
    write(build / "ReceiverFunction" / "app.py", "def lambda_handler(event, context):\n    return 1\n")
    write(build / "template.yaml", "Resources: {}\n")
    compile_all(build)
    return {"build": build, "lock": tmp_path / "uv.lock", "pyproject": tmp_path / "pyproject.toml"}


def run(project: dict[str, Path], budget_mb: float = 1.0) -> check_artifact.Report:
    return check_artifact.check(project["build"], budget_mb, project["lock"], project["pyproject"])


def only_problem(report: check_artifact.Report, *words: str) -> str:
    assert len(report.problems) == 1, report.problems
    assert all(word in report.problems[0] for word in words), report.problems[0]
    return report.problems[0]


def test_a_good_tree_passes(project, capsys):
    report = run(project)
    assert report.problems == []
    assert {(u.kind, u.name) for u in report.units} == {
        ("layer", "SharedLayer"),
        ("function", "ReceiverFunction"),
    }
    args = [str(project["build"]), "--lock", str(project["lock"]), "--pyproject", str(project["pyproject"])]
    assert check_artifact.main([*args, "--budget-mb", "1"]) == 0
    assert "OK" in capsys.readouterr().out


def test_a_missing_pyc_is_caught(project):
    write(project["build"] / "SharedLayer" / "python" / "norce_integration" / "new.py")
    only_problem(run(project), "SharedLayer", "missing", "norce_integration/new.py")


def test_a_missing_pyc_in_a_function_is_caught(project):
    (project["build"] / "ReceiverFunction" / "__pycache__" / "app.cpython-313.pyc").unlink()
    only_problem(run(project), "function ReceiverFunction", "missing", "app.py")


def test_timestamp_and_checked_hash_pycs_are_caught(project):
    layer = project["build"] / "SharedLayer" / "python"
    py_compile.compile(
        str(layer / "pydantic" / "__init__.py"), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
    )
    py_compile.compile(
        str(layer / "norce_integration" / "settings.py"),
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    problems = run(project).problems
    assert len(problems) == 2
    assert any("timestamp-checked" in p and "pydantic/__init__.py" in p for p in problems)
    assert any("checked-hash" in p and "settings.py" in p for p in problems)


def test_a_stale_pyc_is_caught(project):
    write(
        project["build"] / "ReceiverFunction" / "app.py",
        "def lambda_handler(event, context):\n    return 2\n",
    )
    only_problem(run(project), "stale", "app.py")


def test_botocore_without_boto3_is_caught(project):
    layer = project["build"] / "SharedLayer" / "python"
    write(layer / "botocore" / "__init__.py", "__version__ = '1.44.8'\n")
    (layer / "botocore-1.44.8.dist-info").mkdir()
    compile_all(project["build"])
    problems = run(project).problems
    assert any("botocore is shipped without boto3" in p for p in problems)
    assert any("botocore 1.44.8, uv.lock has 1.40.0" in p for p in problems)


def test_boto3_and_botocore_at_the_locked_versions_pass(project):
    layer = project["build"] / "SharedLayer" / "python"
    for name in ("boto3", "botocore"):
        write(layer / name / "__init__.py", "__version__ = '1.40.0'\n")
        (layer / f"{name}-1.40.0.dist-info").mkdir()
    compile_all(project["build"])
    assert run(project).problems == []


def test_boto3_at_another_version_is_caught(project):
    layer = project["build"] / "SharedLayer" / "python"
    (layer / "boto3-1.39.0.dist-info").mkdir()
    (layer / "botocore-1.40.0.dist-info").mkdir()
    only_problem(run(project), "boto3 1.39.0, uv.lock has 1.40.0")


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        ("pytest/__init__.py", "pytest"),
        ("moto/__init__.py", "moto"),
        ("cfn_lint/__init__.py", "cfn_lint"),
        ("aws_xray_sdk/__init__.py", "aws_xray_sdk"),
        ("pytest-8.3.0.dist-info/METADATA", "pytest dist-info"),
    ],
)
def test_a_dev_dependency_is_caught(project, entry, shown):
    write(project["build"] / "SharedLayer" / "python" / entry)
    compile_all(project["build"])
    only_problem(run(project), "dev dependency", shown)


def test_an_installed_dev_dependency_is_found_by_its_import_name(project):
    # cfn-lint installs the module ``cfnlint``: found through the .venv's metadata of the distribution.
    write(project["build"] / "SharedLayer" / "python" / "cfnlint" / "__init__.py")
    compile_all(project["build"])
    only_problem(run(project), "dev dependency cfn-lint", "cfnlint")


def test_an_over_budget_layer_fails_and_says_by_how_much(project):
    (project["build"] / "SharedLayer" / "python" / "big.bin").write_bytes(b"\0" * (2 * check_artifact.MB))
    only_problem(run(project, budget_mb=1.5), "SharedLayer", "over the 1.5 MB budget", "big.bin")
    assert run(project, budget_mb=2.5).problems == []


def test_every_problem_is_listed_and_the_exit_status_is_1(project, capsys):
    layer = project["build"] / "SharedLayer" / "python"
    write(layer / "botocore" / "__init__.py", "__version__ = '1.40.0'\n")
    write(layer / "pytest" / "__init__.py")
    (layer / "big.bin").write_bytes(b"\0" * (2 * check_artifact.MB))
    args = [str(project["build"]), "--lock", str(project["lock"]), "--pyproject", str(project["pyproject"])]
    assert check_artifact.main([*args, "--budget-mb", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 4 problem(s)" in out
    for words in (
        "missing",
        "botocore is shipped without boto3",
        "dev dependency pytest",
        "over the 1 MB budget",
    ):
        assert words in out


def test_a_missing_build_dir_fails(tmp_path):
    report = check_artifact.check(tmp_path / "nothing")
    assert report.problems and "make build" in report.problems[0]


# --- the import check: every handler imports from the artifact, on Lambda's sys.path ----------------------


def test_a_handler_importing_a_missing_module_is_caught(project):
    write(project["build"] / "ReceiverFunction" / "app.py", "import not_shipped_module\n")
    compile_all(project["build"])
    problem = only_problem(run(project), "function ReceiverFunction", "import of app.lambda_handler failed")
    assert "ModuleNotFoundError: No module named 'not_shipped_module'" in problem
    assert "module not_shipped_module is not in the artifact" in problem


def test_a_handler_sees_the_layer_and_the_runtime_but_not_the_venv(project):
    app = project["build"] / "ReceiverFunction" / "app.py"
    write(
        app, "import boto3\nimport norce_integration\n\ndef lambda_handler(event, context):\n    return 1\n"
    )
    compile_all(project["build"])
    report = run(project)
    assert report.problems == [] and report.imports_checked
    write(app, "import pytest  # in the .venv, not in the artifact nor in Lambda's runtime\n")
    compile_all(project["build"])
    only_problem(run(project), "function ReceiverFunction", "No module named 'pytest'")


def test_a_handler_that_fails_at_import_shows_where(project):
    layer = project["build"] / "SharedLayer" / "python"
    write(layer / "norce_integration" / "settings.py", "from lxml import objectify\n")
    write(project["build"] / "ReceiverFunction" / "app.py", "from norce_integration import settings\n")
    compile_all(project["build"])
    problem = only_problem(run(project), "No module named 'lxml'")
    assert "SharedLayer/python/norce_integration/settings.py:1" in problem  # shown relative, not in /tmp
    assert "ReceiverFunction/app.py:1" in problem


def test_the_handler_comes_from_the_template(project):
    write(
        project["build"] / "template.yaml",
        "Resources:\n  ReceiverFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: ReceiverFunction\n      Handler: app.handle\n",
    )
    assert check_artifact.handlers(project["build"]) == {"ReceiverFunction": "app.handle"}
    only_problem(run(project), "import of app.handle failed", "app has no function handle")


def test_no_import_check_without_functions_or_when_asked(project):
    report = check_artifact.check(project["build"], 1.0, project["lock"], project["pyproject"], imports=False)
    assert report.problems == [] and not report.imports_checked


def test_extensions_built_for_another_cpu_are_swapped_for_the_venvs(tmp_path):
    # markupsafe's speedups, as sam build would ship them for arm64: the host's .so with another ELF machine.
    import markupsafe._speedups  # noqa: PLC0415

    host_build = Path(markupsafe._speedups.__file__)
    version = metadata.version("markupsafe")
    layer = tmp_path / "python"
    foreign = layer / "markupsafe" / "_speedups.cpython-313-aarch64-linux-gnu.so"
    foreign.parent.mkdir(parents=True)
    data = bytearray(host_build.read_bytes())
    data[18:20] = b"\xb7\x00"  # EM_AARCH64
    foreign.write_bytes(bytes(data))
    write(layer / f"markupsafe-{version}.dist-info" / "RECORD", f"{foreign.relative_to(layer)},,\n")

    swapped, missing = check_artifact.swap_foreign_extensions(layer)
    assert (swapped, missing) == (["markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so"], [])
    assert (
        not foreign.exists()
        and (layer / "markupsafe" / host_build.name).read_bytes() == host_build.read_bytes()
    )

    # Another version than the .venv's: not swapped, and said so.
    (layer / f"markupsafe-{version}.dist-info").rename(layer / "markupsafe-0.0.1.dist-info")
    foreign.write_bytes(bytes(data))
    swapped, missing = check_artifact.swap_foreign_extensions(layer)
    assert swapped == [] and "markupsafe 0.0.1; .venv: " + version in missing[0]


# --- scripts/prune_layer.py ---------------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A build as sam build leaves it: a layer with what the rules remove and what they must keep."""
    build = tmp_path / "build"
    layer = build / "SharedLayer" / "python"
    write(layer / "norce_integration" / "__init__.py", "from lxml import etree\nimport pydantic\n")
    write(layer / "lxml" / "__init__.py")
    (layer / "lxml" / "etree.cpython-313-aarch64-linux-gnu.so").write_bytes(b"\0" * 5000)
    (layer / "lxml" / "_elementpath.cpython-313-aarch64-linux-gnu.so").write_bytes(b"\0" * 200)
    (layer / "lxml" / "objectify.cpython-313-aarch64-linux-gnu.so").write_bytes(b"\0" * 3000)
    write(layer / "lxml" / "objectify.pyx", "x" * 700)
    write(layer / "lxml" / "etree.pyx", "x" * 100)
    write(layer / "lxml" / "parser.pxi", "x" * 100)
    write(layer / "lxml" / "sax.py", "from lxml import etree\n")
    write(layer / "lxml" / "html" / "__init__.py")
    write(layer / "lxml" / "includes" / "libxml" / "tree.h", "x" * 1000)
    write(layer / "lxml-6.1.3.dist-info" / "RECORD", "lxml/html/__init__.py,,\n")
    write(layer / "pydantic" / "__init__.py", "from pydantic.main import BaseModel\n")
    write(layer / "pydantic" / "main.py")
    write(layer / "pydantic" / "v1" / "__init__.py", "x" * 2000)
    write(layer / "aws_lambda_powertools" / "utilities" / "idempotency" / "__init__.py", "x" * 1000)
    write(layer / "aws_lambda_powertools" / "utilities" / "jmespath_utils" / "__init__.py")
    compile_all(build)  # prune after compileall too: a removed x.py takes its .pyc
    write(build / "ReceiverFunction" / "app.py", "import norce_integration\n")
    write(build / "ReceiverFunction" / "lxml" / "html" / "__init__.py")  # functions are never pruned
    return build


REMOVED = [
    "lxml/objectify.cpython-313-aarch64-linux-gnu.so",
    "lxml/objectify.pyx",
    "lxml/etree.pyx",
    "lxml/parser.pxi",
    "lxml/sax.py",
    "lxml/__pycache__/sax.cpython-313.pyc",
    "lxml/html",
    "lxml/includes",
    "pydantic/v1",
    "aws_lambda_powertools/utilities/idempotency",
]
KEPT = [
    "norce_integration/__init__.py",
    "lxml/__init__.py",
    "lxml/__pycache__/__init__.cpython-313.pyc",
    "lxml/etree.cpython-313-aarch64-linux-gnu.so",
    "lxml/_elementpath.cpython-313-aarch64-linux-gnu.so",
    "lxml-6.1.3.dist-info/RECORD",
    "pydantic/main.py",
    "aws_lambda_powertools/utilities/jmespath_utils/__init__.py",
]


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_prune_removes_the_listed_paths_keeps_the_rest_and_says_what_it_saved(built, capsys):
    layer = built / "SharedLayer" / "python"
    before = prune_layer.size_of(layer)
    function = tree(built / "ReceiverFunction")
    assert prune_layer.main([str(built)]) == 0
    out = capsys.readouterr().out
    assert not [path for path in REMOVED if (layer / path).exists()]
    assert not [path for path in KEPT if not (layer / path).exists()]
    assert tree(built / "ReceiverFunction") == function
    saved = before - prune_layer.size_of(layer)
    assert saved > 8000  # the fake objectify, includes, v1, idempotency and sources
    assert f"removed {saved / prune_layer.MB:.2f} MB" in out
    assert "lxml/objectify.*: lxml.objectify" in out and "pydantic/v1" in out


def test_prune_is_idempotent(built, capsys):
    assert prune_layer.main([str(built)]) == 0
    after = tree(built)
    capsys.readouterr()
    assert prune_layer.main([str(built)]) == 0
    assert "nothing to remove (already pruned)" in capsys.readouterr().out
    assert tree(built) == after


def test_a_dry_run_removes_nothing_and_counts_each_path_once(built, capsys):
    before = tree(built)
    assert prune_layer.main([str(built), "--dry-run"]) == 0
    assert tree(built) == before
    removed = prune_layer.prune(built / "SharedLayer" / "python", dry_run=True)
    paths = [path for item in removed for path in item.paths]
    assert len(paths) == len(set(paths)) and "lxml/objectify.pyx" in paths  # once, though two rules match it


def test_prune_refuses_to_remove_what_the_integration_imports(built, capsys):
    layer = built / "SharedLayer" / "python"
    write(layer / "norce_integration" / "views.py", "def render():\n    from lxml import html\n")
    before = tree(built)
    assert prune_layer.main([str(built)]) == 1
    out = capsys.readouterr().out
    assert (
        "lxml/html: removes lxml/html/__init__.py (module lxml.html, imported by norce_integration.views)"
        in out
    )
    assert tree(built) == before


def test_pydantic_v1_is_reached_only_by_the_documented_import(built):
    layer = built / "SharedLayer" / "python"
    write(
        layer / "pydantic" / "_internal" / "_generate_schema.py", "def f():\n    from pydantic.v1 import X\n"
    )
    write(layer / "pydantic" / "main.py", "from pydantic._internal import _generate_schema\n")
    assert prune_layer.conflicts(built, layer) == []
    write(
        layer / "pydantic" / "main.py",
        "from pydantic._internal import _generate_schema\nimport pydantic.v1\n",
    )
    assert prune_layer.conflicts(built, layer) == [
        "pydantic/v1: removes pydantic/v1/__init__.py (module pydantic.v1, imported by pydantic.main)"
    ]


def test_no_rule_removes_what_the_integration_reaches_in_the_locked_packages(tmp_path):
    # The layer as the .venv installs uv.lock's versions (links), the integration and the handlers as in git.
    site = Path(sysconfig.get_paths()["purelib"])
    layer = tmp_path / "build" / "SharedLayer" / "python"
    layer.mkdir(parents=True)
    (layer / "norce_integration").symlink_to(check_artifact.ROOT / "layers" / "shared" / "norce_integration")
    for name in ("aws_lambda_powertools", "pydantic", "pydantic_core", "lxml", "jinja2", "markupsafe"):
        (layer / name).symlink_to(site / name)
    for app in (check_artifact.ROOT / "functions").glob("*/app.py"):
        write(tmp_path / "build" / app.parent.name / "app.py", app.read_text())
    assert prune_layer.conflicts(tmp_path / "build", layer) == []
    reached = prune_layer.reached(*prune_layer.entry_points(tmp_path / "build", layer))
    modules = {module for module, _ in reached.values()}
    assert {"lxml.etree", "aws_lambda_powertools.utilities.parser.models", "jinja2"} <= modules
