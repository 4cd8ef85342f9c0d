"""The ERP side: a neutral order/customer/company model and the ``Erp`` port every ERP adapter implements."""
