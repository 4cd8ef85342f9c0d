"""In-memory adapters, one module per flow, with the same semantics as the AWS and HTTP ones: unit tests,
benchmarks and SnapStart rehearsals run the same services on them."""
