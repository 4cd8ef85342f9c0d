"""``ErpKind``: what a flow knows of its ERP, from the environment (settings.py's ``ErpTarget``)."""

import pytest

from norce_integration.settings import BusinessCentralTarget, ErpTarget, ProcessorSettings

BC = {
    "BC_TENANT_ID": "contoso.onmicrosoft.com",
    "BC_ENVIRONMENT": "production",
    "BC_COMPANY_ID": "9c4f2a5e-1b3d-4e6f-8a7b-0c1d2e3f4a5b",
    "BC_CLIENT_ID": "app",
    "BC_CLIENT_SECRET_ARN": "arn:bc",
    "ORDERS_TABLE": "orders",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    for name in [*BC, "ERP_KIND", "ERP_BASE_URL", "ERP_API_KEY_SECRET_ARN", "BC_PAGE_SIZE", "BC_FEE_ACCOUNT"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_default_is_the_generic_rest_erp(env):
    env.setenv("ERP_BASE_URL", "https://erp.example.com")
    env.setenv("ERP_API_KEY_SECRET_ARN", "arn:key")
    assert ErpTarget.from_env() == ErpTarget("https://erp.example.com", "arn:key")


def test_business_central_needs_its_settings_not_the_rest_erp_s(env):
    env.setenv("ERP_KIND", "business-central")
    for name, value in BC.items():
        env.setenv(name, value)
    env.setenv("BC_FEE_ACCOUNT", "3010")
    target = ErpTarget.from_env()
    assert target.kind == "business-central" and target.token_table == "orders"
    assert target.business_central == BusinessCentralTarget(
        "contoso.onmicrosoft.com", "production", BC["BC_COMPANY_ID"], "app", "arn:bc", fee_account="3010"
    )
    assert target.business_central.api_url == "https://api.businesscentral.dynamics.com"
    assert target.business_central.login_url == "https://login.microsoftonline.com"
    env.delenv("BC_COMPANY_ID")
    with pytest.raises(RuntimeError, match="BC_COMPANY_ID"):
        ErpTarget.from_env()


@pytest.mark.parametrize("size", ["0", "20001"])
def test_a_page_size_business_central_refuses_stops_the_function_at_start(env, size):
    env.setenv("ERP_KIND", "business-central")
    for name, value in BC.items():
        env.setenv(name, value)
    env.setenv("BC_PAGE_SIZE", size)
    with pytest.raises(RuntimeError, match="20000"):
        ErpTarget.from_env()


def test_an_unknown_kind_is_refused(env):
    env.setenv("ERP_KIND", "sap")
    with pytest.raises(RuntimeError, match="ERP_KIND must be one of rest, business-central"):
        ErpTarget.from_env()


def test_routed_targets_may_be_business_central_companies_beside_a_rest_default(env):
    env.setenv("ERP_BASE_URL", "https://erp.example.com")
    env.setenv("ERP_API_KEY_SECRET_ARN", "arn:key")
    for name, value in BC.items():
        env.setenv(name, value)
    env.setenv(
        "ERP_TARGETS",
        '{"norway": {"kind": "business-central", "company_id": "norway-company"},'
        ' "stores": {"base_url": "https://stores.example.com", "api_key_secret_arn": "arn:stores"}}',
    )
    others = (
        "ORDERS_QUEUE_URL",
        "ORDERS_DLQ_URL",
        "ARCHIVE_BUCKET",
        "WRITEBACK_QUEUE_URL",
        "NORCE_CONNECT_URL",
    )
    for name in (*others, "NORCE_IDENTITY_URL", "NORCE_CREDENTIALS_SECRET_ARN"):
        env.setenv(name, "x")
    env.setenv("NORCE_ACCOUNT_ID", "1")
    targets = ProcessorSettings.from_env().erp_targets
    assert targets["default"].kind == "rest" and targets["stores"].base_url == "https://stores.example.com"
    norway = targets["norway"].business_central
    assert (
        norway is not None
        and norway.company_id == "norway-company"
        and norway.tenant_id == BC["BC_TENANT_ID"]
    )
