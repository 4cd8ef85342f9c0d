"""The local stack: moto plays AWS, simulators play Norce and the ERP, handlers run in worker processes.

The shared layer goes on the path here, once, as Lambda puts it there: the stack reads the outbox with the
layer's reader and the Business Central simulator splits names as the adapter does."""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parents[1] / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
