"""The ``norce-ops`` commands, one module each: the Typer command and its Rich printing. What they decide
lives beside them in ``ops/`` (plain functions, no Rich), and ``ops/cli.py`` registers them on the app."""
