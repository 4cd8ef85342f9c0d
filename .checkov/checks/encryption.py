"""Encryption checks that replace or sharpen checkov's own for this template (see docs/security.md).

- CKV_NORCE_1 replaces CKV_AWS_27 (skipped): CKV_AWS_27 only knows SSE-KMS (`KmsMasterKeyId`) and fails a
  queue encrypted with SSE-SQS (`SqsManagedSseEnabled: true`), which is encryption at rest all the same.
  This check passes either and fails a queue with neither.
- CKV_NORCE_2 adds to CKV_AWS_26 (a topic has a `KmsMasterKeyId`): CloudWatch alarms cannot publish to a
  topic encrypted with the AWS managed key `alias/aws/sns` (its key policy cannot grant
  cloudwatch.amazonaws.com), so the alarms' notifications would fail silently.
"""

from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


def _properties(conf: dict[str, Any]) -> dict[str, Any]:
    properties = conf.get("Properties")
    return properties if isinstance(properties, dict) else {}


class SqsQueueEncryptedAtRest(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the SQS queue is encrypted at rest (SSE-SQS or SSE-KMS)",
            id="CKV_NORCE_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::SQS::Queue"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        properties = _properties(conf)
        if properties.get("KmsMasterKeyId") or str(properties.get("SqsManagedSseEnabled")).lower() == "true":
            return CheckResult.PASSED
        return CheckResult.FAILED


class SnsTopicKeyUsableByAlarms(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the SNS topic is not encrypted with alias/aws/sns (CloudWatch alarms cannot use it)",
            id="CKV_NORCE_2",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::SNS::Topic"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        key = _properties(conf).get("KmsMasterKeyId")
        if not key or (isinstance(key, str) and key.endswith("alias/aws/sns")):
            return CheckResult.FAILED
        return CheckResult.PASSED


sqs_queue_encrypted_at_rest = SqsQueueEncryptedAtRest()
sns_topic_key_usable_by_alarms = SnsTopicKeyUsableByAlarms()
