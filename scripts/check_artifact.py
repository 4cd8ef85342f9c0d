"""Check the built Lambda artifact (``make artifact-check``; default build dir ``.aws-sam/build``).

Checks, and prints a short report:

- bytecode: every ``.py`` of each layer and function has ``__pycache__/<name>.cpython-313.pyc``, compiled
  unchecked-hash (PEP 552 flags == 0b01: Lambda's read-only /opt and /var/task and the zip's timestamps make
  timestamp-checked .pyc useless) by Python 3.13, from the source next to it (its hash matches);
- boto3 and botocore: both absent (the Lambda runtime provides them) or both present, at uv.lock's versions;
- no package of pyproject's ``[dependency-groups] dev`` (pytest, moto, mypy, aws-xray-sdk, ...) is shipped;
- each layer's unzipped size against a budget (23.5 MB by default; MB = 2**20 bytes, as Lambda counts its
  250 MB limit).

Exit status 1 with every problem listed, 0 otherwise. Layers are the build's directories with a ``python/``
subdirectory (SAM's layout for Python layers); every other directory holding ``.py`` files is a function.
"""

import argparse
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYC_TAG = "cpython-313"  # the runtime of template.yaml: python3.13
UNCHECKED_HASH = 0b01  # PEP 552: bit 0 = hash-based, bit 1 = check_source
MB = 2**20
DEFAULT_BUDGET_MB = 23.5  # half of the 47 MB the layer weighed with the X-Ray SDK and its botocore
EXAMPLES = 10  # paths shown per problem (all with --all)


@dataclass
class Unit:
    """A layer or a function of the build: ``root`` is what Lambda puts on sys.path."""

    kind: str
    name: str
    path: Path
    root: Path
    py_files: int = 0
    size: int = 0


@dataclass
class Report:
    units: list[Unit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _listing(paths: list[str], show_all: bool) -> str:
    shown = paths if show_all else paths[:EXAMPLES]
    more = len(paths) - len(shown)
    return "".join(f"\n      {p}" for p in shown) + (f"\n      ... and {more} more (--all)" if more else "")


def find_units(build: Path) -> list[Unit]:
    units = []
    for path in sorted(p for p in build.iterdir() if p.is_dir()):
        if (path / "python").is_dir():
            units.append(Unit("layer", path.name, path, path / "python"))
        elif any(path.rglob("*.py")):
            units.append(Unit("function", path.name, path, path))
    return units


def files(path: Path) -> Iterator[Path]:
    return (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())


# --- bytecode -------------------------------------------------------------------------------------------


def pyc_problem(source: Path, magic: bytes | None) -> str | None:
    """Why ``source`` has no usable unchecked-hash .pyc, or None."""
    pyc = source.parent / "__pycache__" / f"{source.stem}.{PYC_TAG}.pyc"
    if not pyc.is_file():
        return "missing"
    header = pyc.read_bytes()[:16]
    if len(header) < 16:
        return "truncated"
    if magic is not None and header[:4] != magic:
        return "not Python 3.13 bytecode"
    flags = int.from_bytes(header[4:8], "little")
    if flags != UNCHECKED_HASH:
        return {0: "timestamp-checked", 0b11: "checked-hash"}.get(flags, f"flags {flags:#b}")
    if magic is not None and header[8:16] != importlib.util.source_hash(source.read_bytes()):
        return "stale (compiled from another source)"
    return None


def check_bytecode(unit: Unit, report: Report, show_all: bool) -> None:
    # The magic number and source hash are Python 3.13's only when we run on it (the project's Python).
    magic = importlib.util.MAGIC_NUMBER if sys.version_info[:2] == (3, 13) else None
    by_reason: dict[str, list[str]] = {}
    for source in sorted(unit.path.rglob("*.py")):
        unit.py_files += 1
        reason = pyc_problem(source, magic)
        if reason:
            by_reason.setdefault(reason, []).append(str(source.relative_to(unit.path)))
    for reason, paths in sorted(by_reason.items()):
        report.problems.append(
            f"{unit.kind} {unit.name}: {len(paths)} of {unit.py_files} .py without an unchecked-hash "
            f"{PYC_TAG}.pyc ({reason}){_listing(paths, show_all)}"
        )
    if magic is None:
        report.notes.append("not running on Python 3.13: .pyc magic number and source hashes not checked")


# --- boto3 / botocore -------------------------------------------------------------------------------------


def locked_versions(lock: Path) -> dict[str, str]:
    packages = tomllib.loads(lock.read_text()).get("package", [])
    return {normalize(p["name"]): str(p.get("version", "")) for p in packages}


def installed(root: Path, distribution: str) -> str | None:
    """The version of ``distribution`` under ``root`` (``""`` if present without metadata), or None."""
    module = distribution.replace("-", "_")
    for info in root.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        if normalize(name) == normalize(distribution):
            return version
    if (root / module).is_dir():
        init = root / module / "__init__.py"
        found = re.search(r"""__version__\s*=\s*['"]([^'"]+)""", init.read_text()) if init.is_file() else None
        return found.group(1) if found else ""
    return None


def check_boto(units: list[Unit], lock: Path, report: Report) -> None:
    locked = locked_versions(lock) if lock.is_file() else {}
    found: dict[str, list[tuple[Unit, str]]] = {"boto3": [], "botocore": []}
    for unit in units:
        for name, copies in found.items():
            version = installed(unit.root, name)
            if version is not None:
                copies.append((unit, version))
    boto3, botocore = found["boto3"], found["botocore"]
    if not boto3 and not botocore:
        report.notes.append("boto3/botocore: neither shipped (the Lambda runtime provides both)")
        return
    if bool(boto3) != bool(botocore):
        present, absent = ("boto3", "botocore") if boto3 else ("botocore", "boto3")
        where = ", ".join(f"{u.kind} {u.name} ({v or '?'})" for u, v in found[present])
        report.problems.append(
            f"{present} is shipped without {absent}: {where}; it would run against the runtime's "
            f"{absent}, an untested pairing (ship both at uv.lock's versions, or neither)"
        )
    for name, copies in found.items():
        for unit, version in copies:
            want = locked.get(name)
            if want is None:
                report.problems.append(f"{unit.kind} {unit.name}: ships {name} {version}, uv.lock names none")
            elif version != want:
                report.problems.append(
                    f"{unit.kind} {unit.name}: ships {name} {version or '(unknown version)'}, "
                    f"uv.lock has {want}"
                )


# --- dev dependencies -------------------------------------------------------------------------------------


def dev_dependencies(pyproject: Path) -> list[str]:
    groups = tomllib.loads(pyproject.read_text()).get("dependency-groups", {})
    names = []
    for entry in groups.get("dev", []):
        if isinstance(entry, str):  # ``{include-group = ...}`` tables are skipped
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", entry)
            if found:
                names.append(found.group(1))
    return names


def import_names(distribution: str) -> set[str]:
    """Top-level names a distribution installs: its name as a module, and, when it is installed here
    (the project's .venv), the first part of each of its files."""
    names = {normalize(distribution).replace("-", "_")}
    try:
        recorded = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return names
    for path in recorded:
        top = path.parts[0] if path.parts else ""
        if not top or top.startswith(".") or top.endswith((".dist-info", ".data")) or top == "__pycache__":
            continue
        names.add(top.removesuffix(".py") if len(path.parts) == 1 else top)
    return names


def check_dev_dependencies(units: list[Unit], pyproject: Path, report: Report) -> None:
    dev = dev_dependencies(pyproject) if pyproject.is_file() else []
    for unit in units:
        shipped_dists = {
            normalize(info.name.removesuffix(".dist-info").partition("-")[0])
            for info in unit.root.glob("*.dist-info")
        }
        entries = {p.name for p in unit.root.iterdir()}
        for name in dev:
            hits = {n for n in import_names(name) if n in entries or f"{n}.py" in entries}
            if normalize(name) in shipped_dists:
                hits.add(f"{name} dist-info")
            if hits:
                report.problems.append(
                    f"{unit.kind} {unit.name}: ships dev dependency {name} ({', '.join(sorted(hits))})"
                )


# --- size -------------------------------------------------------------------------------------------------


def check_size(units: Iterable[Unit], budget_mb: float, report: Report) -> None:
    for unit in units:
        unit.size = sum(p.stat().st_size for p in files(unit.path))
        if unit.kind == "layer" and unit.size > budget_mb * MB:
            report.problems.append(
                f"layer {unit.name}: {unit.size / MB:.1f} MB unzipped, over the {budget_mb:g} MB budget "
                f"by {(unit.size - budget_mb * MB) / MB:.1f} MB; largest: {largest(unit.root)}"
            )


def largest(root: Path, count: int = 5) -> str:
    sizes = {
        top.name: sum(p.stat().st_size for p in files(top)) if top.is_dir() else top.stat().st_size
        for top in root.iterdir()
    }
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {size / MB:.1f}" for name, size in ranked)


# --- main -------------------------------------------------------------------------------------------------


def check(
    build: Path,
    budget_mb: float = DEFAULT_BUDGET_MB,
    lock: Path = ROOT / "uv.lock",
    pyproject: Path = ROOT / "pyproject.toml",
    show_all: bool = False,
) -> Report:
    report = Report()
    if not build.is_dir():
        report.problems.append(f"{build} does not exist: run `make build` first")
        return report
    report.units = find_units(build)
    if not report.units:
        report.problems.append(f"{build} holds no layer and no function")
    for unit in report.units:
        check_bytecode(unit, report, show_all)
    check_boto(report.units, lock, report)
    check_dev_dependencies(report.units, pyproject, report)
    check_size(report.units, budget_mb, report)
    return report


def render(report: Report, build: Path, budget_mb: float) -> str:
    lines = [f"artifact {build}"]
    for unit in report.units:
        budget = f" (budget {budget_mb:g} MB)" if unit.kind == "layer" else ""
        lines.append(
            f"  {unit.kind:<8} {unit.name:<28} {unit.py_files:>5} .py  "
            f"{unit.size / MB:>6.1f} MB unzipped{budget}"
        )
    lines += [f"  note: {note}" for note in dict.fromkeys(report.notes)]
    if report.problems:
        lines.append(f"FAILED: {len(report.problems)} problem(s)")
        lines += [f"  - {problem}" for problem in report.problems]
    else:
        lines.append(
            "OK: bytecode unchecked-hash everywhere, boto3/botocore paired, no dev dependency, size in budget"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("build", nargs="?", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--budget-mb", type=float, default=DEFAULT_BUDGET_MB, help="layer size budget, MB")
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--all", action="store_true", help="list every path, not the first ten per problem")
    args = parser.parse_args(argv)
    report = check(args.build, args.budget_mb, args.lock, args.pyproject, args.all)
    print(render(report, args.build, args.budget_mb))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
