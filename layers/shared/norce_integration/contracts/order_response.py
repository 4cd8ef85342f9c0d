"""The ``OrderResponse`` Norce expects back from the order receiver."""

from typing import Literal

from norce_integration.contracts.base import NorceModel

ALLOCATED_DESCRIPTION = "No error, order status is set to allocated."


class OrderResponse(NorceModel):
    """Norce's reading: ``OK`` without ErpOrderNo -> Allocated; ``OK`` with ErpOrderNo -> Confirmed;
    ``Failed`` -> logged in Norce, no retry."""

    StatusCode: Literal["OK", "Failed"]
    Description: str | None = None
    HasErpOrderNo: bool = False
    ErpOrderNo: str | None = None

    @classmethod
    def allocated(cls) -> "OrderResponse":
        return cls(StatusCode="OK", Description=ALLOCATED_DESCRIPTION, HasErpOrderNo=False)

    @classmethod
    def failed(cls, description: str) -> "OrderResponse":
        return cls(StatusCode="Failed", Description=description, HasErpOrderNo=False)

    @classmethod
    def confirmed(cls, erp_order_no: str) -> "OrderResponse":
        return cls(
            StatusCode="OK",
            Description="No error, order status is set to confirmed.",
            HasErpOrderNo=True,
            ErpOrderNo=erp_order_no,
        )
