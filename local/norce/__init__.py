"""The local Norce Commerce simulator: one module per Norce service around one shared state (``state``).

``NorceConnectSimulator`` (``simulator``) composes them; ``python -m local.norce --port 5100`` runs it.
"""

from local.norce.simulator import NorceConnectSimulator, main

__all__ = ["NorceConnectSimulator", "main"]
