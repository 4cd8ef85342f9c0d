"""Check the built Lambda artifact (``make artifact-check``; default build dir ``.aws-sam/build``).

Checks, and prints a short report:

- bytecode: every ``.py`` of each layer and function has ``__pycache__/<name>.cpython-313.pyc``, compiled
  unchecked-hash (PEP 552 flags == 0b01: Lambda's read-only /opt and /var/task and the zip's timestamps make
  timestamp-checked .pyc useless) by Python 3.13, from the source next to it (its hash matches);
- boto3 and botocore: both absent (the Lambda runtime provides them) or both present, at uv.lock's versions;
- no package of pyproject's ``[dependency-groups] dev`` (pytest, moto, mypy, aws-xray-sdk, ...) is shipped;
- each layer's unzipped size against a budget (23.5 MB by default; MB = 2**20 bytes, as Lambda counts its
  250 MB limit);
- the artifact works after ``scripts/prune_layer.py``: each function's handler module (``app``, from the
  build's template.yaml) imports in a fresh interpreter (``-I -S -B``) whose ``sys.path`` is Lambda's: the
  function's directory (/var/task), the layers' ``python/`` (/opt/python), then only boto3 and its
  dependencies from the .venv (what the runtime provides: boto3, botocore, s3transfer, jmespath, dateutil,
  six, urllib3), then the standard library; one more such process runs the lazily imported paths against
  the layer: an XML order parsed by ``norce_integration``'s codec (lxml), an ``OrderRequest`` validated
  (pydantic), an e-mail rendered from the layer's templates (jinja2), and a request and an SQS batch through
  Powertools' resolver and batch processor. A layer built for another CPU (``sam build`` makes arm64 ``.so``
  files) is checked on a copy whose foreign extension modules are replaced, file by file, by the .venv's host
  builds of the same versions, so the pruned tree itself is what is imported.

Exit status 1 with every problem listed, 0 otherwise. Layers are the build's directories with a ``python/``
subdirectory (SAM's layout for Python layers); every other directory holding ``.py`` files is a function.

One script on purpose (over 400 lines): ``make artifact-check`` runs it alone, on a fresh clone, before the
package it checks is importable; each check is a function of its own.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYC_TAG = "cpython-313"  # the runtime of template.yaml: python3.13
UNCHECKED_HASH = 0b01  # PEP 552: bit 0 = hash-based, bit 1 = check_source
MB = 2**20
DEFAULT_BUDGET_MB = 23.5  # half of the 47 MB the layer weighed with the X-Ray SDK and its botocore
EXAMPLES = 10  # paths shown per problem (all with --all)
SAMPLE_ORDER = ROOT / "events" / "payloads" / "order-request.xml"
IMPORT_TIMEOUT = 120  # seconds per process


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
    imports_checked: bool = False


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


# --- imports: the pruned artifact works ---------------------------------------------------------------------

# Runs in a fresh interpreter: the job (JSON on stdin) gives sys.path's head and the code to run; the outcome
# is the last line starting with "IMPORT-CHECK ".
CHILD = r"""
import json, sys, traceback
job = json.loads(sys.stdin.read())
sys.path[:0] = job["path"]  # -I -S: after these, the standard library only
try:
    exec(compile(job["code"], job["name"], "exec"), {"__name__": "__check__", "job": job})
except BaseException as error:
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    frames = [f"{frame.filename}:{frame.lineno}" for frame in traceback.extract_tb(error.__traceback__)[1:]]
    outcome = {"error": f"{type(error).__name__}: {error}", "missing": missing, "frames": frames[-3:]}
    print("IMPORT-CHECK " + json.dumps(outcome))
    sys.exit(1)
print("IMPORT-CHECK " + json.dumps({"ok": True}))
"""
IMPORT_HANDLER = """
import importlib
module_name, _, attribute = job["handler"].rpartition(".")
module = importlib.import_module(module_name)
if not callable(getattr(module, attribute, None)):
    raise AttributeError(f"{module_name} has no function {attribute}")
"""
# The paths each function imports lazily (on its first XML body, its first e-mail, ...), against the layer.
EXERCISE = """
from pathlib import Path
import lxml.etree
from norce_integration.codec.json_codec import to_json_bytes
from norce_integration.codec.xml_codec import parse_xml
from norce_integration.contracts.order_request import OrderRequest
from norce_integration.events.rendering import TemplateRenderer

assert any(Path(lxml.etree.__file__).is_relative_to(layer) for layer in job["layers"]), lxml.etree.__file__
order, _, _ = parse_xml(Path(job["sample"]).read_bytes(), OrderRequest)  # lxml.etree, pydantic
assert order.ClientOrderRef, "the sample order parsed without its ClientOrderRef"
assert OrderRequest.model_validate_json(to_json_bytes(order)) == order  # pydantic (JSON)
context = {"client_order_ref": order.ClientOrderRef, "first_name": "Anna", "shop_name": "Shop", "order": None}
mail = TemplateRenderer().render("OrderReceivedEvent", "sv-SE", context)  # jinja2, the layer's templates
assert order.ClientOrderRef in mail.text and mail.html.lstrip().startswith("<"), mail

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parameters import SecretsProvider  # import only: it needs AWS
from aws_lambda_powertools.tracing import Tracer  # LazyTracer's import, when tracing is on

class Context:
    function_name = "artifact-check"; memory_limit_in_mb = 128; aws_request_id = "check"
    invoked_function_arn = "arn:aws:lambda:eu-north-1:123456789012:function:artifact-check"
    def get_remaining_time_in_millis(self): return 1000
resolver = APIGatewayRestResolver()
resolver.get("/ping")(lambda: Response(200, "text/plain", "pong"))
event = {"httpMethod": "GET", "path": "/ping", "resource": "/ping", "headers": {}, "requestContext": {}}
answer = resolver.resolve(event, Context())
assert answer["statusCode"] == 200 and answer["body"] == "pong", answer
record = {"messageId": "1", "body": "x", "attributes": {}, "eventSource": "aws:sqs"}
outcome = process_partial_response(
    event={"Records": [record]}, record_handler=lambda record: record.body,
    processor=BatchProcessor(event_type=EventType.SQS), context=Context(),
)
assert outcome == {"batchItemFailures": []}, outcome
"""
EXERCISED = "norce_integration/codec/xml_codec.py"  # the exercise runs when a layer ships it


def _elf_machine(path: Path) -> bytes:
    with path.open("rb") as file:
        header = file.read(20)
    return header[18:20] if header[:4] == b"\x7fELF" else b""


def handlers(build: Path) -> dict[str, str]:
    """Each function's handler (``CodeUri`` directory -> ``Handler``) in the build's template.yaml."""
    template = build / "template.yaml"
    found: dict[str, str] = {}
    code_uri = handler = None
    for line in template.read_text().splitlines() if template.is_file() else []:
        if re.match(r"  \S[^:]*:\s*$", line):  # a new resource
            code_uri = handler = None
        if match := re.match(r"\s+CodeUri:\s*(\S+)\s*$", line):
            code_uri = match.group(1).strip("'\"").rstrip("/")
        if match := re.match(r"\s+Handler:\s*(\S+)\s*$", line):
            handler = match.group(1).strip("'\"")
        if code_uri and handler:
            found[Path(code_uri).name] = handler
    return found


def runtime_distributions(root: str = "boto3") -> list[metadata.Distribution]:
    """``root`` and what it requires, from the .venv: what Lambda's python3.13 runtime provides."""
    pending, seen, found = [root], set(), []
    while pending:
        name = pending.pop()
        if normalize(name) in seen:
            continue
        seen.add(normalize(name))
        dist = metadata.distribution(name)
        found.append(dist)
        for line in dist.requires or []:
            requirement = Requirement(line)  # extras (boto3[crt]) are not in the runtime
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def link_runtime(target: Path) -> list[str]:
    """Links in ``target`` to the runtime's top-level packages and modules in the .venv; their names."""
    names = []
    for dist in runtime_distributions():
        for top in sorted({path.parts[0] for path in dist.files or [] if path.parts}):
            if (
                top in ("..", "__pycache__")
                or top.endswith((".dist-info", ".data"))
                or (target / top).exists()
            ):
                continue
            source = Path(str(dist.locate_file(top)))
            if source.exists():
                (target / top).symlink_to(source)
                names.append(top)
    return names


def layer_versions(root: Path) -> dict[str, tuple[str, str]]:
    """Top-level name -> (distribution, version), from the ``*.dist-info/RECORD`` files under ``root``."""
    owners: dict[str, tuple[str, str]] = {}
    for record in root.glob("*.dist-info/RECORD"):
        name, _, version = record.parent.name.removesuffix(".dist-info").partition("-")
        for line in record.read_text().splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and not top.endswith(".dist-info"):
                owners.setdefault(top, (name, version))
    return owners


def swap_foreign_extensions(root: Path) -> tuple[list[str], list[str]]:
    """Replaces each extension module under ``root`` built for another CPU by the .venv's host build of the
    same module of the same version: (what was swapped, why what could not be)."""
    host = _elf_machine(Path(sys.executable).resolve())
    site = Path(sysconfig.get_paths()["purelib"])
    owners = layer_versions(root)
    swapped, missing = [], []
    for so in sorted(root.rglob("*.so")):
        if _elf_machine(so) in (host, b""):
            continue
        relative = so.relative_to(root)
        dist, version = owners.get(relative.parts[0], ("", ""))
        try:
            installed_version = metadata.version(dist) if dist else None
        except metadata.PackageNotFoundError:
            installed_version = None
        module = so.name.split(".", 1)[0]
        builds = [p for p in (site / relative.parent).glob(f"{module}.*.so") if _elf_machine(p) == host]
        if installed_version != version or not builds:
            missing.append(
                f"{relative} ({dist or '?'} {version or '?'}; .venv: {installed_version or 'none'})"
            )
            continue
        so.unlink()
        shutil.copy2(builds[0], so.parent / builds[0].name)
        swapped.append(str(relative))
    return swapped, missing


@contextmanager
def lambda_paths(units: list[Unit], report: Report) -> Iterator[tuple[list[Path], Path] | None]:
    """The layers' ``python/`` (copies with host builds swapped in, when built for another CPU) and a
    directory of the runtime's packages; None (and a note) when the layers cannot be loaded here."""
    with tempfile.TemporaryDirectory(prefix="artifact-check-") as directory:
        temp = Path(directory)
        runtime = temp / "runtime"
        runtime.mkdir()
        link_runtime(runtime)
        layers = []
        for unit in (u for u in units if u.kind == "layer"):
            host = _elf_machine(Path(sys.executable).resolve())
            if all(_elf_machine(so) in (host, b"") for so in unit.root.rglob("*.so")):
                layers.append(unit.root.resolve())
                continue
            copy = temp / unit.name / "python"
            shutil.copytree(unit.root, copy, symlinks=True)
            swapped, missing = swap_foreign_extensions(copy)
            if missing:
                report.notes.append(
                    f"imports not checked: layer {unit.name} has extension modules built for another CPU "
                    f"with no host build of the same version in the .venv: {', '.join(missing)}"
                )
                yield None
                return
            packages = ", ".join(sorted({path.split("/")[0] for path in swapped}))
            report.notes.append(
                f"layer {unit.name}: imports checked with the .venv's host builds of its {len(swapped)} "
                f"extension modules for another CPU ({packages})"
            )
            layers.append(copy)
        yield layers, runtime


def child_environment(service: str) -> dict[str, str]:
    """Lambda-like: a region, Powertools' service and namespace, tracing off, no credentials lookup."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "eu-north-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCESS_KEY_ID": "artifact-check",
        "AWS_SECRET_ACCESS_KEY": "artifact-check",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": service,
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": "ArtifactCheck",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }


def run_child(
    name: str, code: str, path: list[Path], cwd: Path, labels: dict[Path, str], **job: object
) -> str | None:
    """Runs ``code`` in a fresh interpreter with ``path`` first on sys.path; why it failed, or None. Paths
    under a directory of ``labels`` are shown relative to its label."""
    payload = json.dumps({"name": name, "code": code, "path": [str(p) for p in path], **job})
    try:
        result = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-I", "-S", "-B", "-c", CHILD],
            input=payload,
            capture_output=True,
            text=True,
            env=child_environment(name),
            cwd=cwd,
            timeout=IMPORT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {IMPORT_TIMEOUT} s"
    lines = [line for line in result.stdout.splitlines() if line.startswith("IMPORT-CHECK ")]
    if not lines:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"the process exited with status {result.returncode}: {' | '.join(tail) or 'no output'}"
    outcome = json.loads(lines[-1].removeprefix("IMPORT-CHECK "))
    if outcome.get("ok"):
        return None
    found = outcome["error"]
    if outcome.get("missing"):
        found += f" (module {outcome['missing']} is not in the artifact)"
    if outcome.get("frames"):
        found += f"; at {' <- '.join(reversed(outcome['frames']))}"
    for directory, label in labels.items():
        found = found.replace(f"{directory}{os.sep}", f"{label}/").replace(str(directory), label)
    return found


@dataclass(frozen=True)
class Job:
    """One process of the import check: ``code`` run with ``path`` first on sys.path."""

    what: str  # for the report: "function X: <what> failed: ..."
    name: str  # POWERTOOLS_SERVICE_NAME, and the code's file name in tracebacks
    code: str
    path: list[Path]
    cwd: Path
    data: dict[str, object] = field(default_factory=dict)


def check_imports(units: list[Unit], build: Path, report: Report, sample: Path = SAMPLE_ORDER) -> None:
    """Each function's handler imports, and the lazily imported paths run, as Lambda would load them."""
    functions = [u for u in units if u.kind == "function"]
    if not functions:
        return
    with lambda_paths(units, report) as paths:
        if paths is None:
            return
        layers, runtime = paths
        labels = {runtime: "<runtime>"} | {layer: f"{layer.parent.name}/python" for layer in layers}
        labels |= {unit.root.resolve(): unit.name for unit in functions}
        by_code_uri = handlers(build)
        jobs: dict[str, Job] = {}
        for unit in functions:
            handler = by_code_uri.get(unit.name, "app.lambda_handler")
            task = unit.root.resolve()  # the process runs there, as Lambda's in /var/task
            jobs[f"function {unit.name}"] = Job(
                f"import of {handler}",
                unit.name,
                IMPORT_HANDLER,
                [task, *layers, runtime],
                task,
                {"handler": handler},
            )
        if any((layer / EXERCISED).is_file() for layer in layers):
            jobs["layers"] = Job(
                "lazily imported paths (lxml, pydantic, jinja2, Powertools resolver and batch)",
                "exercise",
                EXERCISE,
                [*layers, runtime],
                layers[0],
                {"sample": str(sample), "layers": [str(layer) for layer in layers]},
            )
        else:
            report.notes.append(f"no layer ships {EXERCISED}: lazily imported paths not exercised")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            futures = {
                where: pool.submit(run_child, job.name, job.code, job.path, job.cwd, labels, **job.data)
                for where, job in jobs.items()
            }
        report.imports_checked = True
        for where, future in futures.items():
            error = future.result()
            if error:
                report.problems.append(f"{where}: {jobs[where].what} failed: {error}")


# --- main -------------------------------------------------------------------------------------------------


def check(
    build: Path,
    budget_mb: float = DEFAULT_BUDGET_MB,
    lock: Path = ROOT / "uv.lock",
    pyproject: Path = ROOT / "pyproject.toml",
    show_all: bool = False,
    *,
    imports: bool = True,
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
    if imports:
        check_imports(report.units, build, report)
    else:
        report.notes.append("imports not checked (--no-imports)")
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
        imports = ", every handler imports (Lambda's sys.path)" if report.imports_checked else ""
        lines.append(
            "OK: bytecode unchecked-hash everywhere, boto3/botocore paired, no dev dependency, size in budget"
            + imports
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
    parser.add_argument("--no-imports", action="store_true", help="skip the import check (no subprocesses)")
    args = parser.parse_args(argv)
    report = check(
        args.build, args.budget_mb, args.lock, args.pyproject, args.all, imports=not args.no_imports
    )
    print(render(report, args.build, args.budget_mb))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
