"""Implementations of the ports: ``aws`` (boto3), ``memory`` (tests, benchmarks)."""
