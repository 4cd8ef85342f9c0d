"""AWS on loopback: moto's server in a subprocess, and the template's queues, tables, buckets and
secrets created in it with the same shape as in AWS."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.template import ROOT, Template, resolve

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_REGION": "eu-north-1",
}


def wait_for_port(port: int, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _moto(port: int, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "local.moto_serial", "--port", str(port), *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **LOCAL_CREDENTIALS},
    )


@dataclass
class LocalAws:
    port: int = 5000
    process: subprocess.Popen[bytes] | None = None
    dynamodb_process: subprocess.Popen[bytes] | None = None
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    visibility_timeout: int | None = None  # every queue's VisibilityTimeout instead of the template's

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Two motos, one endpoint: ``port`` serves SQS, S3 and Secrets Manager and hands DynamoDB's
        requests to the second (``local/moto_serial.py``), so each service has a core."""
        dynamodb_port = free_port()
        self.dynamodb_process = _moto(dynamodb_port)
        wait_for_port(dynamodb_port)
        self.process = _moto(self.port, "--dynamodb-port", str(dynamodb_port))
        wait_for_port(self.port)

    @property
    def processes(self) -> dict[str, int]:
        """The motos' pids by name (the soak reports their CPU and memory)."""
        found = {"moto": self.process, "moto-dynamodb": self.dynamodb_process}
        return {name: process.pid for name, process in found.items() if process is not None}

    def stop(self) -> None:
        for process in (self.process, self.dynamodb_process):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        self.process = self.dynamodb_process = None

    def client(self, service: str) -> Any:
        return boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="eu-north-1"
        ).client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def create(
        self,
        template: Template,
        prefix: str,
        parameters: dict[str, Any],
        secret_values: dict[str, dict[str, Any]],
    ) -> None:
        """Create every queue, table, bucket and secret of the template (names ``{prefix}-{LogicalId}``)."""
        self.refs.update({name: str(value) for name, value in parameters.items()})
        queues = template.of_type("AWS::SQS::Queue")
        for name in sorted(queues, key=lambda n: "RedrivePolicy" in queues[n]["Properties"]):  # DLQs first
            self._queue(name, queues[name]["Properties"], prefix)
        for name in template.of_type("AWS::DynamoDB::Table"):
            self._table(name, f"{prefix}-{name}")
        for name in template.of_type("AWS::S3::Bucket"):
            bucket = f"{prefix}-{name}".lower()
            self.client("s3").create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
            )
            self.refs[name], self.attributes[(name, "Arn")] = bucket, f"arn:aws:s3:::{bucket}"
        for name in template.of_type("AWS::SecretsManager::Secret"):
            arn = self.client("secretsmanager").create_secret(
                Name=f"{prefix}-{name}", SecretString=json.dumps(secret_values.get(name, {}))
            )["ARN"]
            self.refs[name] = arn

    def _queue(self, name: str, properties: dict[str, Any], prefix: str) -> None:
        attributes: dict[str, str] = {
            key: str(properties[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod")
            if key in properties
        }
        if self.visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(self.visibility_timeout)
        if "RedrivePolicy" in properties:
            policy = properties["RedrivePolicy"]
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": resolve(policy["deadLetterTargetArn"], self.refs, self.attributes),
                    "maxReceiveCount": resolve(policy["maxReceiveCount"], self.refs, self.attributes),
                }
            )
        queue_name = f"{prefix}-{name}"
        if properties.get("FifoQueue"):  # AWS names a FIFO queue *.fifo
            queue_name += ".fifo"
            attributes["FifoQueue"] = "true"
            for key in ("DeduplicationScope", "FifoThroughputLimit", "ContentBasedDeduplication"):
                if key in properties:
                    attributes[key] = (
                        str(properties[key]).lower()
                        if key == "ContentBasedDeduplication"
                        else str(properties[key])
                    )
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.refs[name] = url
        self.attributes[(name, "Arn")], self.attributes[(name, "QueueName")] = arn, queue_name

    def _table(self, name: str, table: str) -> None:
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        self.refs[name] = table
        self.attributes[(name, "Arn")] = f"arn:aws:dynamodb:eu-north-1:123456789012:table/{table}"

    def queue_url_for_arn(self, arn: str) -> str:
        for (name, attribute), value in self.attributes.items():
            if attribute == "Arn" and value == arn:
                return self.refs[name]
        raise KeyError(arn)
