"""Pydantic models of the messages Norce sends and accepts, with Norce's exact field names."""

from norce_integration.contracts.order_request import (
    Address,
    ClientCustomer,
    CodeValue,
    Company,
    Discount,
    Fee,
    Header,
    OrderItem,
    OrderRequest,
    Payment,
    Person,
    PickupStore,
    PriceListItem,
    Promotion,
    ShippingAdvice,
)
from norce_integration.contracts.order_response import OrderResponse

__all__ = [
    "Address",
    "ClientCustomer",
    "CodeValue",
    "Company",
    "Discount",
    "Fee",
    "Header",
    "OrderItem",
    "OrderRequest",
    "OrderResponse",
    "Payment",
    "Person",
    "PickupStore",
    "PriceListItem",
    "Promotion",
    "ShippingAdvice",
]
