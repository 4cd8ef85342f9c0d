"""Remove from each layer of a SAM build what the integration never imports (``make build``, after sam build).

    python scripts/prune_layer.py .aws-sam/build [--dry-run]

Each layer is a directory of the build with a ``python/`` subdirectory; functions are never touched. What is
removed is the explicit list ``RULES`` below (glob patterns relative to ``python/``, each with its reason), no
more: a pattern that matches nothing removes nothing (a later run, or a dependency that no longer ships it).
A removed ``x.py`` takes its ``__pycache__/x.*.pyc`` with it. The ``*.dist-info`` directories stay (metadata,
a few KB each; their RECORD lists files that are gone, which only matters to an uninstaller).

Before removing anything, the script follows every import statement (at any depth, including
``if TYPE_CHECKING:`` blocks and ``importlib.import_module("literal")``) from the functions' code and the
layer's ``norce_integration`` through the layer's own files, and refuses (exit status 1, nothing removed)
if a rule would remove a module so reached; ``REACHED_BUT_UNUSED`` lists the documented exceptions.
``scripts/check_artifact.py`` then proves the pruned artifact works: it imports every function's ``app`` and
runs the lazily imported paths (lxml, jinja2, pydantic) against the layer.

Prints what each rule removed and the size saved; running it again removes nothing (idempotent).
"""

import argparse
import ast
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MB = 2**20
OUR_PACKAGE = "norce_integration"


@dataclass(frozen=True)
class Rule:
    pattern: str  # a glob relative to the layer's python/
    reason: str


# What the integration imports (grep layers/shared/norce_integration and functions/*/app.py): lxml.etree
# (lazily, codec/xml_codec.py; etree loads lxml._elementpath), pydantic 2, jinja2, requests, defusedxml; of
# Powertools: Logger (which imports utilities.jmespath_utils), Metrics, event_handler (APIGatewayRestResolver,
# Response: the package's __init__ imports every resolver and event_handler.openapi), utilities.batch (whose
# types.py imports utilities.parser.models at run time when pydantic is loaded, as it is),
# utilities.data_classes, .typing, .parameters (SecretsProvider) and tracing (LazyTracer). Those stay whole.
RULES: tuple[Rule, ...] = (
    # lxml: only lxml.etree is imported.
    Rule("lxml/objectify.*", "lxml.objectify (extension module and its Cython source): never imported"),
    Rule("lxml/html", "lxml.html (HTML parser, cleaner, diff): never imported"),
    Rule(
        "lxml/isoschematron", "lxml.isoschematron (Schematron, with its XSLT and RNG files): never imported"
    ),
    Rule("lxml/sax.*", "lxml.sax (extension module and its source): never imported"),
    Rule("lxml/builder.*", "lxml.builder (the E-factory; extension module and its source): never imported"),
    Rule("lxml/includes", "C headers and .pxd files for compiling extensions against lxml"),
    Rule("lxml/*.pyx", "Cython sources of lxml's extension modules (the compiled .so files ship)"),
    Rule("lxml/*.pxi", "Cython sources included by lxml/etree.pyx"),
    Rule("lxml/*.h", "C headers of lxml's C API, for compiling other extensions"),
    Rule("lxml/doctestcompare.py", "lxml.doctestcompare: a doctest helper, never imported"),
    Rule("lxml/usedoctest.py", "lxml.usedoctest: a doctest helper, never imported"),
    Rule("lxml/cssselect.py", "lxml.cssselect: needs the cssselect distribution, which is not shipped"),
    Rule("markupsafe/*.c", "C source of markupsafe._speedups (the compiled .so ships)"),
    Rule("**/*.pyi", "type stubs: read by type checkers, never by the import system"),
    # pydantic: the integration uses pydantic 2's API only.
    Rule("pydantic/v1", "pydantic.v1, the pydantic 1 API: never imported (see REACHED_BUT_UNUSED)"),
    Rule("pydantic/mypy.py", "pydantic's mypy plugin: used by mypy at type-check time only"),
    Rule("pydantic/experimental", "pydantic.experimental (pipeline API, arguments schema): never imported"),
    # Powertools: utilities the integration never imports, and nothing it imports reaches.
    Rule(
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*",
        "Swagger UI's JS and CSS, read only by Resolver.enable_swagger(), which no function calls",
    ),
    Rule(
        "aws_lambda_powertools/event_handler/middlewares/schema_validation.py",
        "the JSON Schema validation middleware (needs utilities.validation, pruned): never imported",
    ),
    Rule("aws_lambda_powertools/utilities/auth_alpha", "Powertools auth (alpha): never imported"),
    Rule("aws_lambda_powertools/utilities/circuit_breaker", "Powertools circuit breaker: never imported"),
    Rule("aws_lambda_powertools/utilities/data_masking", "Powertools data masking: never imported"),
    Rule("aws_lambda_powertools/utilities/feature_flags", "Powertools feature flags: never imported"),
    Rule("aws_lambda_powertools/utilities/idempotency", "Powertools idempotency: never imported"),
    Rule("aws_lambda_powertools/utilities/kafka", "Powertools Kafka consumer: never imported"),
    Rule("aws_lambda_powertools/utilities/metadata", "Powertools Lambda metadata endpoint: never imported"),
    Rule("aws_lambda_powertools/utilities/streaming", "Powertools S3 streaming: never imported"),
    Rule("aws_lambda_powertools/utilities/validation", "Powertools JSON Schema validation: never imported"),
    Rule(
        "aws_lambda_powertools/metrics/provider/datadog",
        "the Datadog metrics provider: the functions emit CloudWatch EMF through Metrics",
    ),
)

# Imports that reach a pruned module from a kept one, each on a path the integration never takes:
# (importing module, imported module) -> why. scripts/check_artifact.py would catch it if one were taken.
REACHED_BUT_UNUSED: dict[tuple[str, str], str] = {
    ("pydantic._internal._generate_schema", "pydantic.v1"): (
        "imported inside the branch for a type with __get_validators__ (a pydantic 1 style custom type), "
        "to word a warning; no model of the integration has such a type"
    ),
}


@dataclass
class Removed:
    rule: Rule
    paths: list[str] = field(default_factory=list)
    size: int = 0


def layers(build: Path) -> list[Path]:
    """The ``python/`` directory of each layer in the build (SAM's layout for Python layers)."""
    return sorted(path / "python" for path in build.iterdir() if (path / "python").is_dir())


def size_of(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def matches(root: Path, rule: Rule) -> list[Path]:
    """What ``rule`` removes under ``root``: its matches, and each matched x.py's ``__pycache__/x.*.pyc``."""
    found = sorted(p for p in root.glob(rule.pattern) if "__pycache__" not in p.relative_to(root).parts)
    caches = [
        pyc
        for path in found
        if path.suffix == ".py" and path.is_file()
        for pyc in sorted((path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"))
    ]
    return found + caches


# --- which modules the integration's imports reach ---------------------------------------------------------


def module_files(root: Path, name: str) -> list[Path]:
    """The files under ``root`` that importing ``name`` may load: a package's ``__init__.py``, a ``.py``,
    an extension module (any platform tag)."""
    base = root.joinpath(*name.split("."))
    candidates = [base / "__init__.py", base.with_name(base.name + ".py")]
    found = [path for path in candidates if path.is_file()]
    if base.parent.is_dir():
        found += sorted(base.parent.glob(f"{base.name}.*.so"))
    return found


def imported_names(source: Path, name: str) -> set[str]:
    """Every module an import statement of ``source`` (module ``name``) may load, at any depth."""
    try:
        tree = ast.parse(source.read_bytes())
    except (SyntaxError, ValueError):
        return set()
    package = name if source.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                module = ".".join([*parts, node.module] if node.module else parts)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            names.add(node.args[0].value)
    return {n for n in names if n}


def reached(roots: list[Path], starts: Iterable[str]) -> dict[Path, tuple[str, str]]:
    """Each file of ``roots`` the imports from ``starts`` reach -> (its module, the module that imported it);
    an import in ``REACHED_BUT_UNUSED`` is not followed."""
    found: dict[Path, tuple[str, str]] = {}
    pending = [(name, "") for name in starts]
    seen: set[str] = set()
    while pending:
        name, importer = pending.pop()
        if name in seen or (importer, name) in REACHED_BUT_UNUSED:
            continue
        seen.add(name)
        parts = name.split(".")
        pending += [(".".join(parts[:end]), importer) for end in range(1, len(parts))]  # parents load first
        for root in roots:
            for path in module_files(root, name):
                found.setdefault(path, (name, importer))
                if path.suffix == ".py":
                    pending += [(imported, name) for imported in imported_names(path, name)]
    return found


def entry_points(build: Path, layer: Path) -> tuple[list[Path], set[str]]:
    """The roots to search (the layer, each function) and the modules to start from (each function's modules,
    every module of the layer's ``norce_integration``)."""
    functions = [
        p for p in sorted(build.iterdir()) if p.is_dir() and p != layer.parent and any(p.glob("*.py"))
    ]
    starts = {p.stem for function in functions for p in function.glob("*.py")}
    for source in (layer / OUR_PACKAGE).rglob("*.py"):
        parts = source.relative_to(layer).with_suffix("").parts
        starts.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [layer, *functions], starts


def conflicts(build: Path, layer: Path) -> list[str]:
    """The rules that would remove a module the integration's imports reach, with the import that does."""
    roots, starts = entry_points(build, layer)
    found = reached(roots, starts)
    problems = []
    for rule in RULES:
        for path in matches(layer, rule):
            hits = [p for p in found if p == path or path in p.parents]
            inside = {found[hit][0] for hit in hits}
            for hit in hits:
                module, importer = found[hit]
                if importer in inside:  # within what the rule removes: its way in is listed already
                    continue
                problems.append(
                    f"{rule.pattern}: removes {hit.relative_to(layer)} (module {module}, "
                    f"imported by {importer or 'the integration'})"
                )
    return problems


# --- pruning ------------------------------------------------------------------------------------------------


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def prune(layer: Path, dry_run: bool = False) -> list[Removed]:
    """Applies ``RULES`` to one layer's ``python/``; what each removed (or would remove)."""
    report: list[Removed] = []
    gone: set[Path] = set()
    for rule in RULES:
        removed = Removed(rule)
        for path in matches(layer, rule):
            if path in gone or gone.intersection(path.parents):  # an earlier rule's match (for --dry-run)
                continue
            gone.add(path)
            removed.size += size_of(path)
            removed.paths.append(str(path.relative_to(layer)))
            if not dry_run:
                remove(path)
        report.append(removed)
    return report


def render(layer: Path, before: int, removed: list[Removed], dry_run: bool) -> str:
    saved = sum(r.size for r in removed)
    verb = "would remove" if dry_run else "removed"
    lines = [f"layer {layer.parent.name}: {before / MB:.1f} MB before pruning"]
    for item in removed:
        if item.paths:
            more = len(item.paths) - 3
            shown = ", ".join(item.paths[:3]) + (f" (+{more} more)" if more > 0 else "")
            lines.append(f"  {item.size / MB:6.2f} MB  {item.rule.pattern}: {item.rule.reason}  [{shown}]")
    if saved:
        lines.append(f"  {verb} {saved / MB:.2f} MB: {(before - saved) / MB:.1f} MB left")
    else:
        lines.append("  nothing to remove (already pruned)")
    return "\n".join(lines)


def iter_layers(build: Path) -> Iterator[Path]:
    if not build.is_dir():
        raise SystemExit(f"{build} does not exist: run `sam build` first")
    yield from layers(build)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("build", type=Path, help="a sam build output, e.g. .aws-sam/build")
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    args = parser.parse_args(argv)
    status = 0
    for layer in iter_layers(args.build):
        problems = conflicts(args.build, layer)
        if problems:
            print(f"layer {layer.parent.name}: not pruned, a rule would remove what the integration imports:")
            print("\n".join(f"  - {problem}" for problem in problems))
            status = 1
            continue
        before = size_of(layer)
        print(render(layer, before, prune(layer, args.dry_run), args.dry_run))
    return status


if __name__ == "__main__":
    sys.exit(main())
