"""The order lifecycle back to Norce: statuses, delivery notes, invoices and credit payments, exactly once."""
