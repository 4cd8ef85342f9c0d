"""What the three API functions share: reading the request body as sent, answering in JSON, and
authenticating callers (HTTP Basic for Norce's order sender, ``X-Api-Key`` for the ERP and Norce Event)."""
