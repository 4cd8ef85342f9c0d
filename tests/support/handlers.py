"""Load a Lambda handler module from functions/<name>/app.py the way Lambda does (as ``app``),
without clashing with the other functions' ``app`` modules."""

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def load_function(name: str) -> ModuleType:
    """A fresh import of functions/<name>/app.py (module state such as caches starts empty)."""
    module_name = f"functions_{name}_app"
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_event(relative: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / relative).read_text())
    return event


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-north-1:123456789012:function:test-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000
