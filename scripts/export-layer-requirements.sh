#!/usr/bin/env bash
# Regenerate layers/shared/requirements.txt from uv.lock: the runtime dependencies of the Lambda layer,
# pinned exactly as tested, minus what the Lambda Python runtime already provides.
# `--prune boto3` drops boto3 and what only it needs (botocore, s3transfer, python-dateutil, six): the layer
# must never carry a botocore without its boto3 (scripts/check_artifact.py checks the built layer).
set -euo pipefail
cd "$(dirname "$0")/.."
uv export --frozen --no-dev --no-hashes --no-emit-project --no-header --no-annotate --prune boto3 \
  | grep -v -E '^(boto3|botocore|s3transfer)==' \
  > layers/shared/requirements.txt
echo "wrote layers/shared/requirements.txt ($(wc -l < layers/shared/requirements.txt) packages)"
