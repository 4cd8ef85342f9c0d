"""Loading Lambda handlers in-process, each module as Lambda would load ``app.py`` for one instance."""

import importlib.util
import itertools
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from local.template import ROOT, Function

sys.path.insert(0, str(ROOT / "layers" / "shared"))  # the layer, as Lambda puts it on the path
_counter = itertools.count()
_import_lock = threading.Lock()


class FakeContext:
    """The parts of a Lambda context that Powertools reads."""

    memory_limit_in_mb = 512
    aws_request_id = "local"

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:eu-north-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(function: Function, service_name: str | None) -> tuple[ModuleType, Callable[..., Any]]:
    """A fresh module instance of the function (its own caches, like one Lambda instance)."""
    module_file, handler_name = function.handler.rsplit(".", 1)
    name = f"local_{function.logical_id}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, function.code_uri / f"{module_file}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    with _import_lock:  # Logger() reads the service name at import time
        previous = os.environ.get("POWERTOOLS_SERVICE_NAME")
        if service_name:
            os.environ["POWERTOOLS_SERVICE_NAME"] = service_name
        try:
            sys.modules[name] = module
            spec.loader.exec_module(module)
        finally:
            if previous is None:
                os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
            else:
                os.environ["POWERTOOLS_SERVICE_NAME"] = previous
    return module, getattr(module, handler_name)
