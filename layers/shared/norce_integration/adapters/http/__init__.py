"""HTTP adapters (requests): the generic REST ERP and Norce Connect."""
