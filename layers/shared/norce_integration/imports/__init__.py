"""Scheduled imports of customers and companies from the ERP into Norce (full and delta), streamed."""
