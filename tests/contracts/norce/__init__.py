"""Norce's published contracts, described once, each with its source page (docs.norce.io, as listed in the
project's reference notes, checked 2026-12-02). The local Norce and our clients are both held to these
descriptions by the tests in ``tests/contracts/``, so the two cannot drift together again.

Prefixes in ``SOURCE``: ``D`` = https://docs.norce.io, ``C`` = ``D/api-reference/connect``,
``E`` = ``D/api-reference/event/webhooks``, ``QO`` = ``D/api-reference/query/queryorders/openapi``.
"""
