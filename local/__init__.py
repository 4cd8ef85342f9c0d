"""The local stack: moto plays AWS, simulators play Norce and the ERP, handlers run in worker processes."""
