"""Which system the CLI talks to: a deployed stack (through CloudFormation) or the running local stack.

Everything a command needs is resolved here, once, into a ``Target``: the orders table, the archive bucket,
every queue by its logical id (and which DLQ belongs to which queue), the functions, the secrets, the
alarms and the functions' configuration (the ERP and Norce URLs, which secret holds which key).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:  # the local stack is a development dependency of the tests, not of the CLI
    from local.stack import LocalStack

# Each DLQ and the queue it belongs to (template.yaml's RedrivePolicy pairs).
DLQ_SOURCES: dict[str, str] = {
    "OrdersDeadLetterQueue": "OrdersQueue",
    "LifecycleDeadLetterQueue": "LifecycleQueue",
    "EventsDeadLetterQueue": "EventsQueue",
    "WritebackDeadLetterQueue": "WritebackQueue",
}
SHORT_NAMES: dict[str, str] = {
    "orders": "OrdersDeadLetterQueue",
    "lifecycle": "LifecycleDeadLetterQueue",
    "events": "EventsDeadLetterQueue",
    "writeback": "WritebackDeadLetterQueue",
}
SECRETS = (
    "ReceiverCredentialsSecret",
    "ErpApiKeySecret",
    "ErpPushKeysSecret",
    "NorceEventsKeysSecret",
    "NorceConnectSecret",
)
LOCAL_ENDPOINT = "http://127.0.0.1:5000"
LOCAL_API = "http://127.0.0.1:3000"
LOCAL_ERP = "http://127.0.0.1:5200"
LOCAL_NORCE = "http://127.0.0.1:5100"
LOCAL_REGION = "eu-north-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# The function whose configuration names the ERP and Norce (URLs, secrets) for `health`.
CONFIGURED_FUNCTION = "OrderProcessorFunction"
_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})


class TargetError(Exception):
    """The target cannot be resolved (no such stack, local stack not running, a resource missing)."""


@dataclass
class Target:
    """The resources of one deployment of the integration, and clients to reach them."""

    name: str
    table: str
    bucket: str
    queues: dict[str, str]  # logical id -> queue URL (sources and DLQs)
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> function name (a stack)
    secrets: dict[str, str] = field(default_factory=dict)  # logical id -> ARN (or name)
    alarms: list[str] = field(default_factory=list)  # CloudWatch alarm names (a stack)
    settings: dict[str, str] = field(default_factory=dict)  # the processor's environment: ERP/Norce
    api_url: str | None = None  # the local API (schedules are fired through it)
    endpoint_url: str | None = None  # moto, locally
    region: str | None = None
    profile: str | None = None
    credentials: dict[str, str] | None = None
    local: bool = False
    receive_wait_seconds: int | None = None  # overrides ``wait_seconds`` (tests: 0)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _session: boto3.session.Session | None = field(default=None, repr=False)

    @property
    def dlqs(self) -> dict[str, str]:
        """The dead-letter queues: logical id -> URL (in the order of ``DLQ_SOURCES``)."""
        return {name: self.queues[name] for name in DLQ_SOURCES if name in self.queues}

    @property
    def sources(self) -> dict[str, str]:
        """The queues the functions consume: logical id -> URL."""
        return {name: url for name, url in self.queues.items() if name not in DLQ_SOURCES}

    @property
    def wait_seconds(self) -> int:
        """Receive's long poll when scanning a queue: 1 s in AWS (so every server is asked); none locally,
        where moto serves one request at a time and a long poll would stall the whole stack."""
        if self.receive_wait_seconds is not None:
            return self.receive_wait_seconds
        return 0 if self.local or self.endpoint_url else 1

    def session(self) -> boto3.session.Session:
        if self._session is None:
            credentials = self.credentials or {}
            self._session = boto3.session.Session(
                aws_access_key_id=credentials.get("aws_access_key_id"),
                aws_secret_access_key=credentials.get("aws_secret_access_key"),
                profile_name=self.profile,
                region_name=self.region,
            )
        return self._session

    def client(self, service: str, config: Config | None = None, variant: str = "") -> Any:
        """A boto3 client for this target (cached per service and ``variant``)."""
        key = (service, variant)
        if key not in self._clients:
            self._clients[key] = self.session().client(  # type: ignore[call-overload]
                service, endpoint_url=self.endpoint_url, config=config or _CONFIG
            )
        return self._clients[key]

    def queue_url(self, name: str) -> str:
        try:
            return self.queues[name]
        except KeyError:
            raise TargetError(f"{self.name} has no queue {name}") from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "local": self.local,
            "table": self.table,
            "bucket": self.bucket,
            "queues": dict(self.queues),
            "functions": dict(self.functions),
            "alarms": len(self.alarms),
            "api_url": self.api_url,
        }


def resolve_dlq(name: str) -> str:
    """``orders`` / ``OrdersDeadLetterQueue`` / ``orders-dlq`` … -> the DLQ's logical id."""
    wanted = name.strip()
    lowered = wanted.lower().removesuffix("-dlq").removesuffix("dlq").rstrip("-_ ")
    if wanted in DLQ_SOURCES:
        return wanted
    if lowered in SHORT_NAMES:
        return SHORT_NAMES[lowered]
    for logical_id in DLQ_SOURCES:
        if logical_id.lower() in (wanted.lower(), f"{lowered}deadletterqueue"):
            return logical_id
    known = ", ".join([*SHORT_NAMES, *DLQ_SOURCES])
    raise TargetError(f"no dead-letter queue {name!r}; one of: {known}")


# -- a deployed stack -------------------------------------------------------------------------------------
def from_stack(name: str, region: str | None = None, profile: str | None = None) -> Target:
    """Read the stack's outputs and physical resource ids through CloudFormation."""
    target = Target(name=name, table="", bucket="", queues={}, region=region, profile=profile)
    cloudformation = target.client("cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (ClientError, BotoCoreError) as error:  # no such stack, no credentials, no network
        raise TargetError(f"cannot read stack {name!r}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    resources: dict[str, tuple[str, str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for resource in page["StackResourceSummaries"]:
            physical = resource.get("PhysicalResourceId")
            if physical:
                resources[resource["LogicalResourceId"]] = (resource["ResourceType"], physical)
    apply_stack_resources(target, outputs, resources)
    for logical_id, queue in target.queues.items():
        if not queue.startswith("http"):  # a queue's physical id is its URL; be lenient with a bare name
            target.queues[logical_id] = target.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
    target.settings = function_settings(target, target.functions.get(CONFIGURED_FUNCTION))
    return target


def apply_stack_resources(
    target: Target, outputs: Mapping[str, str], resources: Mapping[str, tuple[str, str]]
) -> None:
    """Fill ``target`` from the stack's outputs and ``{logical id: (type, physical id)}``."""
    of_type = lambda kind: {  # noqa: E731
        logical: physical for logical, (rtype, physical) in resources.items() if rtype == kind
    }
    target.queues = of_type("AWS::SQS::Queue")  # a queue's physical id is its URL
    for output, value in outputs.items():  # outputs name the queues too (OrdersQueueUrl, …)
        if output.endswith("QueueUrl"):
            target.queues.setdefault(output.removesuffix("Url"), value)
    target.table = resources.get("OrdersTable", ("", outputs.get("OrdersTableName", "")))[1]
    target.bucket = resources.get("OrderArchiveBucket", ("", outputs.get("OrderArchiveBucketName", "")))[1]
    target.functions = of_type("AWS::Lambda::Function")
    target.secrets = of_type("AWS::SecretsManager::Secret")
    target.alarms = sorted(of_type("AWS::CloudWatch::Alarm").values())
    endpoint = outputs.get("OrderEndpointUrl")
    target.api_url = endpoint.removesuffix("/orders") if endpoint else None
    if not target.table or not target.queues:
        raise TargetError(f"stack {target.name!r} has no OrdersTable or no queues: is it this integration?")


def function_settings(target: Target, function_name: str | None) -> dict[str, str]:
    """A function's environment (ERP and Norce URLs, which secret holds what); empty when unreadable."""
    if not function_name:
        return {}
    try:
        configuration = target.client("lambda").get_function_configuration(FunctionName=function_name)
    except (ClientError, BotoCoreError):  # no lambda:GetFunctionConfiguration: `health` says so
        return {}
    return dict(configuration.get("Environment", {}).get("Variables", {}))


# -- the local stack --------------------------------------------------------------------------------------
def from_local(
    endpoint_url: str = LOCAL_ENDPOINT,
    api_url: str = LOCAL_API,
    erp_url: str = LOCAL_ERP,
    norce_url: str = LOCAL_NORCE,
    prefix: str = "local",
) -> Target:
    """The running local stack (``make local``): moto's resources are named ``{prefix}-{LogicalId}``."""
    target = Target(
        name="local",
        table=f"{prefix}-OrdersTable",
        bucket=f"{prefix}-OrderArchiveBucket".lower(),
        queues={},
        secrets={name: f"{prefix}-{name}" for name in SECRETS},
        api_url=api_url.rstrip("/"),
        endpoint_url=endpoint_url,
        region=LOCAL_REGION,
        credentials=dict(LOCAL_CREDENTIALS),
        local=True,
    )
    try:
        answer = target.client("sqs").list_queues(QueueNamePrefix=f"{prefix}-")
    except (ClientError, BotoCoreError) as error:  # EndpointConnectionError: nothing listens
        raise TargetError(
            f"the local stack does not answer on {endpoint_url} (start it with `make local`): {error}"
        ) from error
    for url in answer.get("QueueUrls", []):
        queue_name = url.rsplit("/", 1)[-1]
        target.queues[queue_name.removeprefix(f"{prefix}-").removesuffix(".fifo")] = url
    if not target.queues:
        raise TargetError(f"moto on {endpoint_url} holds no {prefix}-* queues: is the local stack running?")
    norce = norce_url.rstrip("/")
    target.settings = {
        "ERP_BASE_URL": erp_url.rstrip("/"),
        "ERP_API_KEY_SECRET_ARN": target.secrets["ErpApiKeySecret"],
        "NORCE_CONNECT_URL": f"{norce}/commerce/connect/4.0/",
        "NORCE_IDENTITY_URL": f"{norce}/identity/1.0/connect/token",
        "NORCE_CREDENTIALS_SECRET_ARN": target.secrets["NorceConnectSecret"],
        "NORCE_SCOPE": "playground",
        "NORCE_AUTH_MODE": "oauth",
    }
    return target


def from_local_stack(stack: "LocalStack") -> Target:
    """A ``Target`` for a ``LocalStack`` running in this process (the e2e tests, on free ports)."""
    target = from_local(
        endpoint_url=stack.aws.endpoint,
        api_url=stack.api_url,
        erp_url=stack.erp.url,
        norce_url=stack.norce.url,
    )
    target.secrets.update({name: stack.resource(name) for name in SECRETS})
    target.settings.update(
        {
            "NORCE_CONNECT_URL": stack.norce.connect_url,
            "NORCE_IDENTITY_URL": stack.norce.identity_url,
            "ERP_API_KEY_SECRET_ARN": target.secrets["ErpApiKeySecret"],
            "NORCE_CREDENTIALS_SECRET_ARN": target.secrets["NorceConnectSecret"],
        }
    )
    return target


def erp_targets(settings: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The ERP targets the processor routes to: name -> (base URL, API key secret)."""
    targets: dict[str, tuple[str, str]] = {}
    if settings.get("ERP_BASE_URL") and settings.get("ERP_API_KEY_SECRET_ARN"):
        targets["default"] = (settings["ERP_BASE_URL"], settings["ERP_API_KEY_SECRET_ARN"])
    try:
        extra = json.loads(settings.get("ERP_TARGETS") or "{}")
    except ValueError:
        extra = {}
    for name, target in extra.items() if isinstance(extra, dict) else ():
        if isinstance(target, dict) and target.get("base_url") and target.get("api_key_secret_arn"):
            targets[name] = (str(target["base_url"]), str(target["api_key_secret_arn"]))
    return targets
