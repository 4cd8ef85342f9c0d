"""Order processing: a queued Norce order becomes exactly one ERP order and a confirmation in Norce."""
