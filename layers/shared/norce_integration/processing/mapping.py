"""Norce ``OrderRequest`` -> neutral ``ErpOrder``.

Where each field lands is documented in docs/erp-adapter.md; what has no ERP counterpart travels in
``passthrough`` so an adapter can still use it. Amounts: Norce's UnitPrice is the price the customer pays
per unit excluding VAT (UnitVat is its VAT), so a line is its quantity x UnitPrice, the quantity being
``Quantity`` (whole items) or, for goods sold by weight or length, ``Quantity2``; ``Discount`` is kept as
information and never subtracted twice. AdditionalInfo is keyed by ``Code2`` (Norce: ``Code`` "has
erroneous behaviour"), else ``Code``. A ``Fee`` (rare) is ``{Amount, Description, Type, VatRate}``: its
Amount is taken as excluding VAT, like every Norce price, and its VAT computed from VatRate.
"""

from decimal import Decimal
from typing import Any

from norce_integration.contracts import Address, ClientCustomer, CodeValue, OrderItem, OrderRequest
from norce_integration.contracts.order_request import FEE_TYPES, Discount, Fee
from norce_integration.erp.model import (
    ErpAddress,
    ErpCharge,
    ErpDelivery,
    ErpOrder,
    ErpOrderLine,
    ErpPayment,
)
from norce_integration.failures import MappingError
from norce_integration.processing.config import WILDCARD, ProcessingConfig

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_ORDER_PASSTHROUGH = (
    "SalesContactDivision",
    "ReferId",
    "OrderType",
    "CustomerInvoiceRef",
    "DiscountCode",
    "ErpOrderNo",
)


def lookup(table: dict[str, str], code: str | None, what: str) -> str:
    """The ERP code for a Norce code, the table's ``*`` fallback, or a ``MappingError``."""
    if code is not None and code in table:
        return table[code]
    if WILDCARD in table:
        return table[WILDCARD]
    raise MappingError(f"no {what} mapping for {code!r}: add it to the processing configuration")


def info_dict(items: list[CodeValue] | None) -> dict[str, Any]:
    return {item.key: item.Value for item in items or [] if item.key}


def erp_address(
    source: Address | None, name: str | None = None, phone: str | None = None
) -> ErpAddress | None:
    """A Norce address as an ERP address (``None`` stays ``None``; Norce's empty ``Box`` becomes absent)."""
    if source is None:
        return None
    return ErpAddress(
        name=name or None,
        care_of=source.CareOf,
        line1=source.Line1,
        line2=source.Line2,
        box=source.Box or None,
        zip_code=source.ZipCode,
        city=source.City,
        region=source.Region,
        country=source.Country,
        phone=phone,
    )


def _address(party: ClientCustomer | None) -> ErpAddress | None:
    """The party's address with a name to print on it: the company's, else the person's."""
    if party is None:
        return None
    person, company = party.Person, party.Company
    source: Address | None = person.Address if person else None  # a company in an order has no address
    if source is None:
        return None
    name: str | None
    if company and company.Name:
        name = company.Name
    else:
        name = " ".join(part for part in (person.FirstName, person.LastName) if part) if person else None
    phone = source.ShippingPhoneNumber or (person.CellPhone or person.PrivatePhone if person else None)
    return erp_address(source, name, phone)


def _line(item: OrderItem) -> ErpOrderLine:
    quantity = item.ordered_quantity or _ZERO
    unit_price = item.UnitPrice or _ZERO
    unit_vat = item.UnitVat or _ZERO
    passthrough: dict[str, Any] = {
        "InternalProductId": item.InternalProductId,
        "PriceLists": [price.model_dump(mode="json", exclude_none=True) for price in item.PriceLists or []],
        "Promotions": [promo.model_dump(mode="json", exclude_none=True) for promo in item.Promotions or []],
        "Quantity2": str(item.Quantity2) if item.Quantity2 is not None else None,
        **(item.model_extra or {}),
    }
    return ErpOrderLine(
        line_no=item.LineNo or 0,
        parent_line_no=item.ParentLineNo,
        part_no=item.ErpPartNo or item.PartNo or "",
        description=item.Description,
        quantity=quantity,
        unit_of_measure=item.UnitOfMeasure,
        unit_price=unit_price,
        unit_price_original=item.UnitPriceOriginal,
        discount=item.Discount or _ZERO,
        unit_vat=unit_vat,
        vat_rate=item.VatRate or _ZERO,
        line_amount=quantity * unit_price,
        line_vat=quantity * unit_vat,
        price_list_no=item.PriceListNo,
        comment=item.Comment,
        kind="/".join(part for part in (item.Type, item.TypeGroup) if part) or None,
        manufacturer_code=item.ManufacturerCode,
        additional_info=info_dict(item.AdditionalInfo),
        passthrough={key: value for key, value in passthrough.items() if value not in (None, [])},
    )


def _extra_text(model: Fee | Discount, name: str) -> str | None:
    """A field Norce does not publish on the model but a setup may send (kept, never required)."""
    value = (model.model_extra or {}).get(name)
    return str(value) if value not in (None, "") else None


def _fee(fee: Fee) -> ErpCharge:
    amount, rate = fee.Amount or _ZERO, fee.VatRate
    kind = FEE_TYPES.get(fee.Type, str(fee.Type)) if isinstance(fee.Type, int) else fee.Type
    return ErpCharge(
        code=_extra_text(fee, "Code") or kind,
        description=fee.Description,
        amount=amount,
        vat=(amount * rate / 100).quantize(_CENT) if rate else _ZERO,
        vat_rate=rate,
        kind=kind,
    )


def map_order(
    order: OrderRequest,
    config: ProcessingConfig,
    *,
    target: str,
    customer_code: str | None,
    company_code: str | None,
) -> ErpOrder:
    """The ERP order for ``order``; raises ``MappingError`` when a code has no rule."""
    advice = order.ShippingAdvice
    store = advice.PickupStore if advice else None
    delivery = ErpDelivery(
        method=lookup(
            config.delivery_methods, advice.DeliveryMethodCode if advice else None, "delivery method"
        ),
        pickup_store_code=store.Code if store else None,
        pickup_store_name=store.Name if store else None,
        is_drop_point=store.IsDropPoint if store else None,
        address=_address(order.ShipTo or order.SellTo),
        sms_notify=advice.DoSMSNotify if advice else None,
        complete_delivery=advice.IsComplete if advice else None,
        fee_charged_once=advice.IsFeeChargedOnce if advice else None,
        ship_advisor_order_code=advice.ShipAdvisorOrderCode if advice else None,
        tms_reference=advice.TmsReference if advice else None,
    )
    payments = [
        ErpPayment(
            method=lookup(config.payment_methods, payment.PaymentMethodCode, "payment method"),
            provider_code=str(payment.PaymentCode) if payment.PaymentCode is not None else None,
            reference=payment.PaymentRef,
            amount=payment.Amount or _ZERO,
            currency=payment.CurrencyCode,
            name=payment.PaymentName,
            additional_info=info_dict(payment.AdditionalInfo),
        )
        for payment in order.Payments or []
    ]
    lines = [_line(item) for item in order.Items or []]
    fees = [_fee(fee) for fee in order.Fees or []]
    discounts = [
        ErpCharge(
            code=discount.Code,
            description=_extra_text(discount, "Description") or discount.Type,
            amount=discount.Amount or _ZERO,
            kind=discount.Type,
        )
        for discount in order.Discounts or []
    ]
    passthrough = {
        name: getattr(order, name) for name in _ORDER_PASSTHROUGH if getattr(order, name) is not None
    }
    passthrough |= order.model_extra or {}
    return ErpOrder(
        external_ref=order.ClientOrderRef or "",
        target=target,
        customer_code=customer_code,
        company_code=company_code,
        currency=order.CurrencyCode or "",
        submitted_at=order.SubmitDate,
        customer_order_ref=order.CustomerOrderRef,
        comment=order.CustomerOrderComment,
        sales_contact_code=order.SalesContactCode,
        on_hold=bool(order.DoHold),
        source=order.Source,
        application_key=order.application_key,
        bill_to=_address(order.BillTo or order.SellTo),
        delivery=delivery,
        lines=lines,
        fees=fees,
        discounts=discounts,
        payments=payments,
        total_amount=sum((line.line_amount for line in lines), _ZERO)
        + sum((fee.amount for fee in fees), _ZERO)
        - sum((discount.amount for discount in discounts), _ZERO),
        total_vat=sum((line.line_vat for line in lines), _ZERO) + sum((fee.vat for fee in fees), _ZERO),
        additional_info=info_dict(order.AdditionalInfo),
        passthrough=passthrough,
    )
