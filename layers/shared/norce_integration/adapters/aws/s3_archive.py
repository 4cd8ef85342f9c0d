"""Raw order bodies in S3: the audit archive and the claim check behind every queue message."""

from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error


class S3Archive:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

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
