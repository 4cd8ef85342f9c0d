"""HttpErp against the ERP simulator: idempotent orders, the two error kinds, retries, exports."""

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from local.erp_simulator import ErpSimulator
from norce_integration.adapters.http import erp_client
from norce_integration.adapters.http.caller import HttpCaller
from norce_integration.adapters.http.erp_client import HttpErp
from norce_integration.erp.model import ErpCompany, ErpCustomer, ErpDelivery, ErpOrder, ErpOrderLine
from norce_integration.erp.ports import ErpRejected, ErpUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0, clock=clock) as simulator:
        yield simulator


def client(sim: ErpSimulator, clock: Clock, api_key: str = "erp-local-key") -> HttpErp:
    caller = HttpCaller(erp_client._unavailable, erp_client._rejected, sleep=clock.sleep)
    return HttpErp(sim.url, api_key, caller=caller)


def order(ref: str = "REF1", part: str = "ITEM001", quantity: str = "2") -> ErpOrder:
    return ErpOrder(
        external_ref=ref,
        currency="SEK",
        customer_code="C1",
        delivery=ErpDelivery(method="PN"),
        lines=[
            ErpOrderLine(line_no=1, part_no=part, quantity=Decimal(quantity), unit_price=Decimal("300.00"))
        ],
    )


def test_an_order_is_created_once_and_found_by_its_external_ref(sim, clock):
    erp = client(sim, clock)

    first = erp.create_order(order())
    again = erp.create_order(order())

    assert (first.order_no, first.created) == ("SO-000001", True)
    assert (again.order_no, again.created) == ("SO-000001", False)
    assert erp.find_order("REF1").order_no == "SO-000001"
    assert erp.find_order("NOPE") is None
    [stored] = sim.orders()
    assert stored["body"]["lines"][0]["unitPrice"] == "300.00", "money travels as exact decimal text"


def test_concurrent_creates_of_one_order_make_one_erp_order(sim, clock):
    erp = client(sim, clock)
    results = []
    start = threading.Barrier(10)

    def create() -> None:
        start.wait()
        results.append(erp.create_order(order("REF-RACE")))

    threads = [threading.Thread(target=create) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(sim.orders()) == 1
    assert sum(r.created for r in results) == 1 and len({r.order_no for r in results}) == 1


def test_an_invalid_order_is_rejected_with_the_erps_reason(sim, clock):
    sim.set_faults(unknown_parts=["ITEM404"])
    with pytest.raises(ErpRejected, match="line 1: unknown item ITEM404"):
        client(sim, clock).create_order(order(part="ITEM404"))


def test_a_short_outage_is_ridden_out_within_the_call(sim, clock):
    sim.set_faults(down_for_seconds=3)

    assert client(sim, clock).create_order(order()).created


def test_a_long_outage_raises_unavailable_with_the_servers_retry_after(sim, clock):
    sim.set_faults(down_for_seconds=3600)

    with pytest.raises(ErpUnavailable) as error:
        client(sim, clock).find_order("REF1")

    assert error.value.retry_after is not None and error.value.retry_after > 3000
    assert sim.orders() == []


def test_a_wrong_api_key_is_rejected(sim, clock):
    with pytest.raises(ErpRejected, match="401"):
        client(sim, clock, api_key="wrong").find_order("REF1")


def test_customers_and_companies_are_created_and_found(sim, clock):
    erp = client(sim, clock)

    customer = erp.create_customer(ErpCustomer(email="a@example.com", first_name="Ada"))
    company = erp.create_company(ErpCompany(name="Acme AB", organization_no="556000-0000"))

    assert customer.code == "C10001" and company.code == "B20001"
    assert erp.find_customer(email="a@example.com").code == "C10001"
    assert erp.find_customer(code="C10001").first_name == "Ada"
    assert erp.find_company(organization_no="556000-0000").name == "Acme AB"
    assert erp.find_customer(email="nobody@example.com") is None
    erp.update_customer(customer.model_copy(update={"first_name": "Ada L."}))
    assert erp.find_customer(code="C10001").first_name == "Ada L."


def test_exports_follow_pages(sim, clock):
    erp = client(sim, clock)
    for index in range(7):
        erp.create_customer(ErpCustomer(email=f"c{index}@example.com"))
    paged = HttpErp(
        sim.url,
        "erp-local-key",
        page_size=3,
        caller=HttpCaller(erp_client._unavailable, erp_client._rejected, sleep=clock.sleep),
    )

    assert [c.email for c in paged.export_customers(None)] == [f"c{i}@example.com" for i in range(7)]


def test_the_simulator_keeps_its_data_across_restarts(tmp_path, clock):
    db = str(tmp_path / "erp.sqlite3")
    with ErpSimulator(db, port=0, clock=clock) as first:
        client(first, clock).create_order(order("REF-KEEP"))
    with ErpSimulator(db, port=0, clock=clock) as second:
        again = client(second, clock).create_order(order("REF-KEEP"))
        assert (again.order_no, again.created) == ("SO-000001", False)
        assert client(second, clock).create_order(order("REF-NEXT")).order_no == "SO-000002"
