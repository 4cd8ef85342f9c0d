"""``python -m local.norce --port 5100``: the Norce simulator in the foreground."""

from local.norce.simulator import main

main()
