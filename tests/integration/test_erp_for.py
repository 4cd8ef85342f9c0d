"""``erp_for``: the one place that builds every flow's ERP, the adapter ``ErpKind`` names (on moto)."""

import json

import boto3
import pytest
from moto import mock_aws

from norce_integration.adapters.aws.dynamodb_write_fence import DynamoDbWriteFence
from norce_integration.adapters.http.business_central.erp import BusinessCentralErp
from norce_integration.adapters.http.erp_client import HttpErp
from norce_integration.bootstrap.erp import ADAPTERS, erp_for
from norce_integration.settings import ERP_KINDS, BusinessCentralTarget, ErpTarget
from tests.support.aws import create_orders_table


def test_every_kind_has_its_adapter():
    assert set(ADAPTERS) == set(ERP_KINDS)


@pytest.mark.parametrize("kind", ERP_KINDS)
def test_erp_for_builds_the_adapter_of_the_kind(kind):
    with mock_aws():
        create_orders_table()
        secrets = boto3.client("secretsmanager")
        key = secrets.create_secret(Name="erp", SecretString=json.dumps({"apiKey": "k"}))["ARN"]
        bc_secret = secrets.create_secret(Name="bc", SecretString=json.dumps({"clientSecret": "s"}))["ARN"]
        target = (
            ErpTarget("https://erp.example.com", key)
            if kind == "rest"
            else ErpTarget(
                "",
                "",
                kind=kind,
                business_central=BusinessCentralTarget(
                    "tenant", "production", "company", "app", bc_secret, page_size=500
                ),
                token_table="orders",
            )
        )
        erp = erp_for(target, max_age=0)
    if kind == "rest":
        assert isinstance(erp, HttpErp)
    else:
        assert isinstance(erp, BusinessCentralErp)
        assert isinstance(erp.fence, DynamoDbWriteFence), "creates are fenced in the orders table"
        assert erp.api.root == "https://api.businesscentral.dynamics.com/v2.0/tenant/production/api/v2.0"
        assert erp.api.company.endswith("/companies(company)") and erp.api.page_size == 500
