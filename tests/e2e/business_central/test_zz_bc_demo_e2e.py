"""``make demo ERP=business-central``: the whole demo against the Business Central simulator, with the same
checks at its end as against the generic ERP. Last in the package: its stack takes the log streams."""

import pytest

from local import demo

pytestmark = pytest.mark.e2e


def test_the_demo_runs_against_business_central_with_every_order_exactly_once(capsys):
    assert demo.main(["--free-ports", "--erp", "business-central"]) == 0
    printed = capsys.readouterr().out
    assert (
        "every accepted order is exactly one ERP order, every company one ERP and one Norce company,"
        " every document once in Norce: yes" in printed
    )
    assert "statuses        ['Confirmed', 'PartlyDelivered', 'Delivered']" in printed
    assert "invoices        [('S-INV103001', 750.0)]" in printed
    assert "credits         [('S-CR104001', 100.0)]" in printed
    assert "Nya Bygg AB  VatNo SE556677889901" in printed
    assert "the shrink guard" in printed and "refused_by_shrink_guard" in printed
