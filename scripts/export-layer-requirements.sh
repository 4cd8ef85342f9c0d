#!/usr/bin/env bash
# Regenerate layers/shared/requirements.txt from uv.lock: the runtime dependencies of the Lambda layer,
# pinned exactly as tested, minus what the Lambda Python runtime already provides
# (boto3, botocore, s3transfer), so the layer stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
uv export --frozen --no-dev --no-hashes --no-emit-project --no-header --no-annotate \
  | grep -v -E '^(boto3|botocore|s3transfer)==' \
  > layers/shared/requirements.txt
echo "wrote layers/shared/requirements.txt ($(wc -l < layers/shared/requirements.txt) packages)"
