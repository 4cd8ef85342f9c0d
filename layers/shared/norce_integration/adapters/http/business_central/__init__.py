"""Microsoft Dynamics 365 Business Central (API v2.0) as the ERP: ``erp.BusinessCentralErp`` implements
the ``Erp`` port, ``webhooks`` reads BC's notifications and keeps our subscriptions. ``api`` is the HTTP
client within BC's limits, ``entra`` its token, ``mapping``/``documents``/``references`` the field
mappings, ``fence`` the one-writer-per-key guard that makes creates exactly once. docs/erp-adapter.md
maps every field."""
