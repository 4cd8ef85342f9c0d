"""Norce's published enumerations are written out three times on purpose: once here, from docs.norce.io
(``tests/contracts/norce``), once in the integration (what it sends) and once in the local Norce (what it
takes). The copies are independent transcriptions, so a slip in one shows; these tests hold the other two
to the published one."""

from local.norce import connect_orders as simulated_orders
from local.norce import customer_schema as simulated_customers
from norce_integration.imports import config as import_config
from norce_integration.lifecycle import validation
from tests.contracts.norce import connect_customers as published_customers
from tests.contracts.norce import connect_orders as published_orders


def test_the_order_statuses_the_integration_sends_are_norces() -> None:
    assert validation.CURRENT_STATUSES == published_orders.CURRENT_STATUSES
    assert validation.LEGACY_STATUSES == published_orders.OLDER_STATUSES


def test_the_order_statuses_the_local_norce_takes_are_norces() -> None:
    assert simulated_orders.STATUSES == published_orders.CURRENT_STATUSES
    assert simulated_orders.OLDER_STATUSES == published_orders.OLDER_STATUSES


def test_the_header_field_numbers_the_local_norce_reads_are_norces() -> None:
    # *FieldsThatAreSet may name a field by its number: the order is the published one
    assert simulated_customers.CUSTOMER_FIELDS == published_customers.CUSTOMER_FIELD_NAMES
    assert simulated_customers.COMPANY_FIELDS == published_customers.COMPANY_FIELD_NAMES


def test_the_fields_an_import_sets_by_default_are_fields_norce_publishes() -> None:
    assert set(import_config.CUSTOMER_FIELDS) <= set(published_customers.CUSTOMER_FIELD_NAMES)
    assert set(import_config.COMPANY_FIELDS) <= set(published_customers.COMPANY_FIELD_NAMES)
