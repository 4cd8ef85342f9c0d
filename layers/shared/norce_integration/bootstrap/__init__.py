"""The composition root: the only place that reads settings and builds adapters, one module per flow.

``aws`` builds the AWS clients (one botocore session per process) and reads secrets; ``norce`` builds the
Norce Connect and Query clients; ``erp`` chooses the ERP adapter (``erp_for``) for every flow. A handler
asks its flow's module for what it needs, once per Lambda instance, and primes it for SnapStart through
that module's ``priming``.
"""
