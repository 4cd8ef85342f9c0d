"""scripts/check_artifact.py on small fake builds: a good tree passes, each check catches its problem."""

import py_compile
from pathlib import Path

import pytest

from scripts import check_artifact

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
