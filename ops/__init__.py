"""``norce-ops``: the command line of the person on call (``python -m ops.cli --help``, docs/operations.md).

Kept out of the Lambda layer: it is a development/operations tool with its own dependencies (Typer, Rich),
and it reads the stack's resources the way an operator would (CloudFormation, DynamoDB, SQS, S3).
"""
