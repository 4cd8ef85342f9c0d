"""A local Microsoft Dynamics 365 Business Central (API v2.0) with its Entra ID token endpoint, held to
Business Central's published API: ``from local.business_central import BusinessCentralSimulator``."""

from local.business_central.simulator import BusinessCentralSimulator

__all__ = ["BusinessCentralSimulator"]
