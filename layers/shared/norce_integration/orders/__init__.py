"""The order's own records, shared by every flow that touches an order: the intake ledger and its queued
message, the archive of what Norce sent, the support record (trail) and the index the ERP's documents
find an order by. Ports only: the adapters live in ``adapters/``."""
