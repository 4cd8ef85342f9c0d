"""A soak and chaos run through the local stack (``make soak``): Norce's orders, the ERP's documents, Norce's
events and edits and the scheduled imports for an hour, while the ERP, Norce and SES misbehave and workers
are killed; then an independent audit of what was lost or doubled, and the figures (docs/reliability.md)."""
