"""HttpNorceConnect against the Norce Connect simulator: OAuth2 and Basic, retries, imports, jobs."""

import json
from collections.abc import Iterator

import pytest
import requests

from local.norce import NorceConnectSimulator
from norce_integration.adapters.http import norce_connect
from norce_integration.adapters.http.caller import HttpCaller
from norce_integration.adapters.http.norce_connect import HttpNorceConnect, oauth_token_fetcher
from norce_integration.adapters.http.token_cache import InMemoryTokenStore, TokenCache
from norce_integration.contracts.connect import ImportHeader, JobResponse, NorceCustomer, OrderStatusUpdate
from norce_integration.norce.ports import NorceRejected, NorceUnavailable


@pytest.fixture
def sim() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


def caller() -> HttpCaller:
    return HttpCaller(norce_connect._unavailable, norce_connect._rejected, sleep=lambda _: None)


def oauth_client(sim: NorceConnectSimulator, secret: str = "norce-local-secret") -> HttpNorceConnect:
    fetch = oauth_token_fetcher(sim.identity_url, "norce-local-client", secret, "playground")
    return HttpNorceConnect(sim.connect_url, tokens=TokenCache(fetch, InMemoryTokenStore()), caller=caller())


def confirmed(ref: int | str = 123) -> OrderStatusUpdate:
    return OrderStatusUpdate(ClientOrderRef=ref, ErpOrderNo="SO-1", OrderStatus="Confirmed", AccountId=1)


def test_one_token_serves_many_calls(sim):
    connect = oauth_client(sim)

    for ref in range(5):
        connect.send_order_status(confirmed(ref))

    assert sim.stats["token requests"] == 1
    assert [status["OrderStatus"] for status in sim.orders["3"]] == ["Confirmed"]


def test_a_refused_token_is_replaced_once(sim):
    connect = oauth_client(sim)
    connect.send_order_status(confirmed(1))
    sim.tokens.clear()  # Norce revoked it early

    connect.send_order_status(confirmed(2))

    assert sim.stats["token requests"] == 2 and "2" in sim.orders


def test_wrong_client_secret_is_rejected(sim):
    with pytest.raises(NorceRejected, match="invalid_client"):
        oauth_client(sim, secret="wrong").send_order_status(confirmed())


def test_legacy_basic_auth(sim):
    connect = HttpNorceConnect(
        sim.connect_url, basic=("1001", "connect-local-secret"), caller=caller(), application_id="1001"
    )

    connect.send_order_status(confirmed())

    call = sim.calls_to("Order/SendOrderStatus")[0]
    assert call["headers"]["Applicationid"] == "1001" and "Authorization" not in call["headers"]


def test_throttling_is_retried_within_the_call(sim):
    sim.set_faults(status=429, count=2, retry_after_seconds=1)

    oauth_client(sim).send_order_status(confirmed())

    assert [c.get("status") for c in sim.calls_to("Order/SendOrderStatus")] == [429, 429, 200]


def test_an_outage_raises_unavailable(sim):
    sim.set_faults(status=503, count=10, retry_after_seconds=2)

    with pytest.raises(NorceUnavailable) as error:
        oauth_client(sim).send_order_status(confirmed())
    assert error.value.retry_after == 2


def test_an_invalid_status_is_rejected(sim):
    with pytest.raises(NorceRejected, match="unknown OrderStatus"):
        oauth_client(sim).send_order_status(OrderStatusUpdate(ClientOrderRef=1, OrderStatus="Shipped"))


def test_imports_send_a_one_line_header_and_return_norces_job_response(sim):
    connect = oauth_client(sim)
    customers = [NorceCustomer(Code="C10001", EmailAddress="john.doe@example.com")]

    answer = connect.import_customers(customers, ImportHeader(AccountId=7, CustomerFieldsThatAreSet=["Code"]))

    [call] = sim.calls_to("Customer/ImportCustomers")
    header = call["headers"]["X-Stormconnect-Header"]
    assert "\n" not in header
    assert json.loads(header) == {
        "AccountId": 7,
        "CustomerFieldsThatAreSet": ["Code"],
        "CompanyFieldsThatAreSet": [],
    }, "no full-import flag: Norce documents none for customers"
    assert call["body"] == [{"Code": "C10001", "EmailAddress": "john.doe@example.com"}]
    assert answer.JobId == str(answer.job_id) and answer.summary() == {
        "items": 1,
        "failures": 0,
        "messages": [],
    }
    assert connect.get_job(answer.job_id).succeeded


def flagged_client(sim: NorceConnectSimulator, place: str) -> HttpNorceConnect:
    fetch = oauth_token_fetcher(sim.identity_url, "norce-local-client", "norce-local-secret", "playground")
    return HttpNorceConnect(
        sim.connect_url,
        tokens=TokenCache(fetch, InMemoryTokenStore()),
        caller=caller(),
        full_file_in=place,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("place", ["stormconnect-header", "http-header"])
def test_a_full_import_deactivates_what_it_does_not_name_where_the_flag_is_switched_on(place):
    with NorceConnectSimulator(port=0, full_file_key="FullFile") as sim:
        connect = flagged_client(sim, place)
        header = ImportHeader(AccountId=1, CustomerFieldsThatAreSet=["Code"])
        both = [NorceCustomer(Code="A", EmailAddress="a@x.example"), NorceCustomer(Code="B")]
        connect.import_customers(both, header)

        connect.import_customers([NorceCustomer(Code="A")], header, full_file=True)

        assert {c["Code"]: c["IsActive"] for c in sim.customers.values()} == {"A": True, "B": False}


def test_with_the_flag_off_a_full_import_deactivates_nothing():
    with NorceConnectSimulator(port=0, full_file_key="FullFile") as sim:
        connect = flagged_client(sim, "off")
        header = ImportHeader(AccountId=1, CustomerFieldsThatAreSet=["Code"])
        connect.import_customers([NorceCustomer(Code="A"), NorceCustomer(Code="B")], header)

        connect.import_customers([NorceCustomer(Code="A")], header, full_file=True)

        [*_, call] = sim.calls_to("Customer/ImportCustomers")
        assert "FullFile" not in json.loads(call["headers"]["X-Stormconnect-Header"])
        assert all(c["IsActive"] for c in sim.customers.values())


def test_a_norce_without_the_flag_refuses_it_as_an_undocumented_header_property(sim):
    connect = flagged_client(sim, "stormconnect-header")

    with pytest.raises(NorceRejected, match="FullFile is not a documented property"):
        connect.import_customers([NorceCustomer(Code="A")], ImportHeader(AccountId=1), full_file=True)

    assert sim.jobs == {} and sim.customers == {}


def test_an_import_is_not_repeated_after_a_server_error(sim):
    sim.set_faults(status=500, count=1, paths=["Customer/ImportCustomers"])

    with pytest.raises(NorceUnavailable):
        oauth_client(sim).import_customers(
            [NorceCustomer(Code="C1", EmailAddress="c@x.example")], ImportHeader(AccountId=1)
        )

    assert len(sim.calls_to("Customer/ImportCustomers")) == 1, "a 500 may have started a job: not re-sent"


@pytest.mark.parametrize(
    ("answer", "job_id"),
    [({"JobId": "5001"}, 5001), ({"StatusCode": "OK", "JobId": "17", "ValidationSummary": None}, 17)],
)
def test_a_job_response_names_its_job_id_as_a_string(answer, job_id):
    assert JobResponse.model_validate(answer).job_id == job_id


@pytest.mark.parametrize("answer", [5001, {"JobId": None}, {"JobId": "x"}, {"JobId": "99999999999"}, [1]])
def test_an_import_answered_without_a_job_response_is_refused(answer):
    response = requests.Response()
    response.status_code, response._content = 200, json.dumps(answer).encode()

    with pytest.raises(NorceRejected, match="JobResponse"):
        norce_connect._job_response(response)


def test_the_token_endpoint_rate_limit_is_simulated(sim):
    answers = [
        requests.post(
            sim.identity_url,
            data={
                "grant_type": "client_credentials",
                "client_id": "norce-local-client",
                "client_secret": "norce-local-secret",
            },
            timeout=5,
        ).status_code
        for _ in range(21)
    ]
    assert answers == [200] * 20 + [429]
