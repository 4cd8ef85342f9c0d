"""Raw order bodies in S3: the audit archive and the claim check behind every queue message."""

from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.snapstart import REHEARSAL, Rehearsals


class S3Archive:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    @staticmethod
    def rehearsals() -> Rehearsals:
        """A request's calls, for SnapStart's ``rehearse_calls`` (answered in-process; no real bucket)."""
        put = {
            "Bucket": REHEARSAL,
            "Key": "orders/rehearsal.json",
            "Body": b"{}",
            "ContentType": "application/json",
            "ServerSideEncryption": "AES256",
        }
        return {"s3": [("put_object", put)]}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        with unavailable_on_aws_error("Archiving the order"):
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="AES256",
            )

    def get(self, key: str) -> bytes:
        with unavailable_on_aws_error("Reading the archived order"):
            body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body
