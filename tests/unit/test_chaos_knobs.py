"""The simulators' knobs the soak turns (``make soak``): the ERP losing its answers after doing the work,
and Norce Query down for a while. Over HTTP, as the integration sees them."""

from collections.abc import Iterator

import pytest
import requests

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from local.norce.query import QUERY

ERP_KEY = {"X-Api-Key": "erp-local-key"}
ORDER = {
    "externalRef": "CHAOS-1",
    "currency": "SEK",
    "lines": [{"lineNo": 1, "partNo": "ITEM001", "quantity": 1, "unitPrice": "100.00"}],
}


@pytest.fixture
def erp() -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0, seed=7) as simulator:
        yield simulator


@pytest.fixture
def norce() -> Iterator[NorceConnectSimulator]:
    clock = [1000.0]
    with NorceConnectSimulator(port=0, clock=lambda: clock[0]) as simulator:
        simulator.tick = clock  # type: ignore[attr-defined]
        yield simulator


def test_a_lost_erp_answer_means_the_order_was_made_all_the_same(erp):
    requests.post(f"{erp.url}/_faults", json={"lostResponseRate": 1.0}, timeout=10)

    lost = requests.post(f"{erp.url}/orders", json=ORDER, headers=ERP_KEY, timeout=10)

    assert (lost.status_code, lost.json()) == (504, {"error": "injected: the response was lost"})
    assert [order["externalRef"] for order in erp.orders()] == ["CHAOS-1"]
    assert erp.stats["lost responses"] == 1

    erp.set_faults(lost_response_rate=0.0)
    again = requests.post(f"{erp.url}/orders", json=ORDER, headers=ERP_KEY, timeout=10)  # the caller's retry
    assert again.status_code == 409 and len(erp.orders()) == 1


def test_lost_answers_come_by_chance_and_never_on_control_routes(erp):
    erp.set_faults(lost_response_rate=0.5)

    statuses = [requests.get(f"{erp.url}/orders", headers=ERP_KEY, timeout=10).status_code for _ in range(40)]

    assert 0 < statuses.count(504) < 40 and set(statuses) == {200, 504}
    assert requests.get(f"{erp.url}/_faults", timeout=10).json()["lostResponseRate"] == 0.5
    assert all(requests.get(f"{erp.url}/_stats", timeout=10).status_code == 200 for _ in range(10))


def query(norce: NorceConnectSimulator) -> requests.Response:
    return requests.get(
        f"{norce.url}{QUERY}/Customers/Customers",
        headers={"applicationId": "1001", "Authorization": norce.basic},
        timeout=10,
    )


def test_a_query_outage_answers_503_for_its_length_then_query_is_back(norce):
    answer = requests.post(f"{norce.url}/_faults", json={"queryDownForSeconds": 30}, timeout=10)
    assert answer.status_code == 200

    down = query(norce)
    norce.tick[0] += 29
    still_down = query(norce)
    norce.tick[0] += 2
    back = query(norce)

    assert (down.status_code, still_down.status_code, back.status_code) == (503, 503, 200)
    assert "Retry-After" not in down.headers
    assert norce.stats["query outage answers"] == 2


def test_an_outage_is_ended_by_clearing_the_faults(norce):
    norce.set_faults(query_down_for_seconds=60)
    requests.delete(f"{norce.url}/_faults", timeout=10)

    assert query(norce).status_code == 200
