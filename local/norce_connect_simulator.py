"""The Norce simulator's old home: it lives in ``local.norce`` now (one module per Norce service).

Kept so ``python -m local.norce_connect_simulator --port 5100`` and ``from local.norce_connect_simulator
import NorceConnectSimulator, CONNECT`` go on working.
"""

from local.norce.connect import CONNECT
from local.norce.simulator import NorceConnectSimulator, main

__all__ = ["CONNECT", "NorceConnectSimulator", "main"]

if __name__ == "__main__":
    main()
