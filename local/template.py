"""Reading template.yaml the way the local stack needs it: resources, functions, their events and env."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]  # unresolved: values may be {"Ref": ...} / {"Fn::GetAtt": ...}
    api_routes: list[tuple[str, str]] = field(default_factory=list)  # (METHOD, path)
    sqs_sources: list[dict[str, Any]] = field(default_factory=list)  # the SQS event Properties
    schedules: list[dict[str, Any]] = field(default_factory=list)  # the ScheduleV2 event Properties
    schedule_names: list[str] = field(default_factory=list)  # their event names, in the same order
    timeout_seconds: float = 3.0  # the function's Timeout (Lambda's default 3 s; Globals apply)
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions: at most this many at once
    snap_start: bool = False  # SnapStart on (EnableSnapStart's default): an init once, environments restored


@dataclass(frozen=True)
class Template:
    resources: dict[str, dict[str, Any]]
    parameters: dict[str, Any]
    functions: list[Function]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}


def load_template(path: Path = ROOT / "template.yaml") -> Template:
    document, errors = decode_str(path.read_text())
    if errors:
        raise ValueError(f"{path} cannot be read: {errors}")
    global_function = document.get("Globals", {}).get("Function", {})
    globals_env = global_function.get("Environment", {}).get("Variables", {})
    snap_start_on = document.get("Parameters", {}).get("EnableSnapStart", {}).get("Default")
    snap_start_default = str(snap_start_on) == "true"
    functions = []
    for name, resource in document["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        routes, sources, schedules, schedule_names = [], [], [], []
        for event_name, event in properties.get("Events", {}).items():
            if event["Type"] == "Api":
                routes.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
            elif event["Type"] == "SQS":
                sources.append(event["Properties"])
            elif event["Type"] in ("Schedule", "ScheduleV2"):
                schedules.append(event["Properties"])
                schedule_names.append(event_name)
        environment = {**globals_env, **properties.get("Environment", {}).get("Variables", {})}
        functions.append(
            Function(
                name,
                ROOT / properties["CodeUri"],
                properties["Handler"],
                environment,
                routes,
                sources,
                schedules,
                schedule_names,
                float(properties.get("Timeout", global_function.get("Timeout", 3))),
                _reserved(properties.get("ReservedConcurrentExecutions")),
                "SnapStart" in properties and snap_start_default,
            )
        )
    parameters = {name: spec.get("Default") for name, spec in document.get("Parameters", {}).items()}
    return Template(document["Resources"], parameters, functions)


def resolve(value: Any, refs: dict[str, str], attributes: dict[tuple[str, str], str]) -> str:
    """A template value with ``Ref``/``Fn::GetAtt`` resolved against the local resources."""
    if isinstance(value, dict):
        if "Ref" in value:
            return refs[value["Ref"]]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            resource, attribute = target if isinstance(target, list) else target.split(".", 1)
            return attributes[(resource, attribute)]
        raise ValueError(f"the local stack cannot resolve {value}")
    return "" if value is None else str(value)


def _reserved(value: Any) -> int | None:
    """ReservedConcurrentExecutions as a number; None when absent or not a plain number (a Ref...)."""
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
