"""Norce Commerce <-> ERP integration: the shared package of every Lambda function.

Layers: ``contracts`` (Norce messages as pydantic models), ``codec`` (JSON/XML wire formats),
``intake`` and later services (plain Python domain logic behind small ports), ``adapters``
(AWS, HTTP and in-memory implementations of those ports).
"""
