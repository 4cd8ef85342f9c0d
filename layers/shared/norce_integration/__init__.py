"""Norce Commerce <-> ERP integration: the shared package of every Lambda function (the layer).

Foundation: ``contracts`` (Norce messages as pydantic models), ``codec`` (JSON/XML), ``failures``, ``orders``
(the order's ledger, archive, record and index), ``jobs`` (Norce import jobs), ``erp`` and ``norce`` (the
ports to the two systems), ``api``, ``settings``. Flows, plain Python behind those ports and never importing
each other: ``intake``, ``processing``, ``lifecycle``, ``events``, ``imports``. ``adapters`` implement the
ports (AWS, HTTP, in memory); ``bootstrap`` is the composition root that builds them. docs/architecture.md,
"Where things live", gives each room's import rules (held by tests/unit/test_architecture.py).
"""
