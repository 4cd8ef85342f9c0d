"""boto3 adapters. Clients honour ``AWS_ENDPOINT_URL`` so the local stack can point them at moto."""
