"""SnapStart: priming in the init phase (off unless asked for), runtime hooks, and the three API handlers
primed on moto: nothing stored or sent while priming, and every request still answered after a restore."""

import importlib
import json
import logging
import random
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from norce_integration import snapstart
from tests.support.aws import create_receiver_resources
from tests.support.handlers import FakeLambdaContext, load_event, load_function

API_FUNCTIONS = ("order_receiver", "erp_push", "event_receiver")


@pytest.fixture(autouse=True)
def no_priming_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(snapstart.PRIME_ON_INIT, raising=False)
    monkeypatch.delenv(snapstart.INITIALIZATION_TYPE, raising=False)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook lists start empty in a test and are put back after it."""
    monkeypatch.setattr(snapstart, "AFTER_RESTORE", [])
    monkeypatch.setattr(snapstart, "BEFORE_SNAPSHOT", [])


class Calls:
    def __init__(self) -> None:
        self.made: list[str] = []

    def step(self, name: str) -> Any:
        def run() -> str:
            self.made.append(name)
            return name

        run.__qualname__ = name
        return run


# ---------------------------------------------------------------- priming_enabled / prime


def test_priming_is_off_by_default_and_nothing_is_built():
    calls = Calls()
    snapstart.prime(calls.step("clients"), calls.step("secret"))
    assert not snapstart.priming_enabled()
    assert calls.made == []
    for name in API_FUNCTIONS:  # no environment at all: importing them builds nothing and reads nothing
        module = load_function(name)
        builder = module.intake if name == "order_receiver" else module.components
        assert builder.cache_info().currsize == 0, name


@pytest.mark.parametrize(
    ("variable", "value", "enabled"),
    [
        ("PRIME_ON_INIT", "1", True),
        ("PRIME_ON_INIT", "true", True),
        ("PRIME_ON_INIT", "0", False),
        ("PRIME_ON_INIT", "", False),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start", True),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand", False),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency", False),
    ],
)
def test_priming_runs_each_step_in_order_when_enabled(monkeypatch, variable, value, enabled):
    monkeypatch.setenv(variable, value)
    calls = Calls()
    snapstart.prime(calls.step("clients"), calls.step("secret"), calls.step("rehearsal"))
    assert snapstart.priming_enabled() is enabled
    assert calls.made == (["clients", "secret", "rehearsal"] if enabled else [])


def test_a_failing_step_is_logged_without_its_message_and_never_breaks_the_init(monkeypatch, caplog):
    monkeypatch.setenv("PRIME_ON_INIT", "1")
    calls = Calls()

    def read_secret() -> None:
        raise RuntimeError("password=hunter2 for john.doe@example.com")

    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        snapstart.prime(calls.step("clients"), read_secret, calls.step("rehearsal"))
    assert calls.made == ["clients", "rehearsal"]
    [record] = caplog.records
    assert "read_secret" in record.getMessage() and "RuntimeError" in record.getMessage()
    assert "hunter2" not in caplog.text and "john.doe" not in caplog.text


def test_a_failing_priming_step_in_a_handler_leaves_it_to_the_first_request(monkeypatch, caplog):
    monkeypatch.setenv("PRIME_ON_INIT", "1")  # no queue, table, bucket or secret configured at all
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        module = load_function("order_receiver")
    assert module.intake.cache_info().currsize == 0
    assert "settings" in caplog.text and "RuntimeError" in caplog.text


# ---------------------------------------------------------------- runtime hooks


@dataclass
class FakeRuntime:
    """What the Lambda runtime's ``snapshot_restore_py`` does with the hooks: keeps them, runs them."""

    after: list[Any]
    before: list[Any]

    def module(self) -> types.ModuleType:
        module = types.ModuleType("snapshot_restore_py")
        module.register_after_restore = self.after.append  # type: ignore[attr-defined]
        module.register_before_snapshot = self.before.append  # type: ignore[attr-defined]
        return module

    def restore(self) -> None:
        for hook in self.after:
            hook()

    def snapshot(self) -> None:
        for hook in reversed(self.before):
            hook()


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, hooks: None) -> FakeRuntime:
    fake = FakeRuntime([], [])
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake.module())
    return fake


def test_hooks_are_registered_with_the_lambda_runtime_and_run_by_it(runtime):
    calls = Calls()
    restored = snapstart.after_restore(calls.step("reconnect"))
    snapstart.before_snapshot(calls.step("flush"))
    assert restored.__qualname__ == "reconnect"  # usable as a decorator: the hook itself comes back
    assert [h.__qualname__ for h in runtime.after] == ["reconnect"]
    assert [h.__qualname__ for h in runtime.before] == ["flush"]
    runtime.snapshot()
    runtime.restore()
    assert calls.made == ["flush", "reconnect"]


def test_without_the_runtime_hooks_are_kept_for_tests_and_the_bench(hooks):
    calls = Calls()
    snapstart.after_restore(calls.step("first"))
    snapstart.after_restore(calls.step("second"))
    snapstart.before_snapshot(calls.step("a"))
    snapstart.before_snapshot(calls.step("b"))
    snapstart.run_before_snapshot()
    snapstart.run_after_restore()
    assert calls.made == ["b", "a", "first", "second"]  # Lambda's order: before-snapshot hooks reversed


def test_the_handlers_register_reseed_and_close_their_connections_around_the_snapshot(runtime):
    importlib.reload(snapstart)  # as on Lambda: the module is first imported with the runtime present
    try:
        for name in API_FUNCTIONS:
            load_function(name)
        assert [hook.__qualname__ for hook in runtime.after] == ["reseed"] + [
            "fresh_connections_for.<locals>.close"
        ] * 3
        assert [hook.__qualname__ for hook in runtime.before] == ["fresh_connections_for.<locals>.close"] * 3
        runtime.snapshot()  # nothing was built: the hooks have nothing to close and build nothing
        runtime.restore()
    finally:
        sys.modules.pop("snapshot_restore_py")
        importlib.reload(snapstart)


def test_reseed_gives_each_restored_copy_its_own_random_sequence():
    random.seed(1234)  # what every copy of one snapshot would hold
    snapshotted = [random.random() for _ in range(3)]
    random.seed(1234)
    snapstart.reseed()
    assert [random.random() for _ in range(3)] != snapshotted


class FakeClient:
    def __init__(self, fail: bool = False) -> None:
        self.closed = 0
        self.fail = fail

    def close(self) -> None:
        self.closed += 1
        if self.fail:
            raise OSError("socket already gone")


def test_close_pools_closes_every_client_and_session_even_when_one_fails(caplog):
    first, broken, last = FakeClient(), FakeClient(fail=True), FakeClient()
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        snapstart.close_pools(first, broken, object(), last)
    assert (first.closed, broken.closed, last.closed) == (1, 1, 1)
    assert "OSError" in caplog.text


def test_closed_boto3_clients_and_requests_sessions_stay_usable(monkeypatch):
    client = boto3.client("sqs", region_name="eu-north-1")
    session = requests.Session()
    closed: list[str] = []
    monkeypatch.setattr(client._endpoint.http_session, "close", lambda: closed.append("sqs"))
    monkeypatch.setattr(session, "close", lambda: closed.append("session"))
    snapstart.close_pools(client, session)
    assert closed == ["sqs", "session"]
    with mock_aws():  # the next call opens a connection of its own
        real = boto3.client("sqs", region_name="eu-north-1")
        snapstart.close_pools(real)
        assert "QueueUrl" in real.create_queue(QueueName="after-close")


def test_pooled_finds_the_clients_a_component_keeps_private():
    sqs, dynamodb = (
        boto3.client("sqs", region_name="eu-north-1"),
        boto3.client("dynamodb", region_name="eu-north-1"),
    )
    session = requests.Session()

    @dataclass(slots=True)
    class Queue:
        _client: Any

    class Authenticator:
        def __init__(self, load: Any) -> None:
            self._load = load

    def loader() -> Any:
        return session  # held in the closure, as bootstrap's secret loaders hold their SecretsProvider

    parts = {"queue": Queue(sqs), "auth": Authenticator(loader), "again": [Queue(sqs)], "ledger": dynamodb}
    found = snapstart.pooled(parts)
    assert len(found) == 3 and {id(x) for x in found} == {id(sqs), id(dynamodb), id(session)}
    assert snapstart.pooled(parts, depth=1) == [dynamodb]


def test_rehearse_runs_a_call_through_botocore_without_sending_it():
    # An endpoint where nothing listens: a call that went out would fail to connect.
    client = boto3.client(
        "dynamodb",
        region_name="eu-north-1",
        endpoint_url="http://127.0.0.1:9",
        config=boto3.session.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    snapstart.rehearse(client, "put_item", TableName=snapstart.REHEARSAL, Item={"pk": {"S": "x"}})
    with pytest.raises(EndpointConnectionError):  # the interception is gone again: a real call goes out
        client.put_item(TableName=snapstart.REHEARSAL, Item={"pk": {"S": "x"}})


def test_rehearse_calls_logs_a_failing_call_and_goes_on(caplog):
    client = boto3.client("sqs", region_name="eu-north-1", endpoint_url="http://127.0.0.1:9")
    rehearsals = {
        "sqs": [
            ("send_message", {"QueueUrl": "https://sqs.eu-north-1.amazonaws.com/1/q"}),  # no MessageBody
            ("send_message", {"QueueUrl": "https://sqs.eu-north-1.amazonaws.com/1/q", "MessageBody": "{}"}),
        ],
        "s3": [("put_object", {"Bucket": "nope", "Key": "k"})],  # no s3 client here: not rehearsed
    }
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        assert snapstart.rehearse_calls(rehearsals, {"clients": [client]}) == 1
    assert "sqs.send_message" in caplog.text and "ParamValidationError" in caplog.text


def test_the_rehearsal_queue_keeps_the_endpoint_and_fifo_but_is_not_ours():
    url = "https://sqs.eu-north-1.amazonaws.com/123456789012/stack-LifecycleQueue-abc.fifo"
    assert snapstart.rehearsal_queue_url(url) == (
        "https://sqs.eu-north-1.amazonaws.com/123456789012/snapstart-rehearsal.fifo"
    )
    assert snapstart.rehearsal_queue_url("http://127.0.0.1:5000/000000000000/orders").endswith(
        "/000000000000/snapstart-rehearsal"
    )


# ---------------------------------------------------------------- the three API handlers, primed on moto

ERP_KEY, EVENTS_KEY = "erp-push-local", "norce-events-local"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        receiver = create_receiver_resources()
        sqs, secrets = boto3.client("sqs"), boto3.client("secretsmanager")
        fifo = {"FifoQueue": "true"}
        queues = {
            "lifecycle": sqs.create_queue(QueueName="lifecycle.fifo", Attributes=fifo)["QueueUrl"],
            "events": sqs.create_queue(QueueName="events")["QueueUrl"],
            "events-dlq": sqs.create_queue(QueueName="events-dlq")["QueueUrl"],
            "orders": receiver.queue_url,
        }
        env = receiver.env() | {
            "LIFECYCLE_QUEUE_URL": queues["lifecycle"],
            "ERP_PUSH_KEYS_SECRET_ARN": secrets.create_secret(
                Name="erp-push-keys", SecretString=json.dumps({"apiKey": ERP_KEY})
            )["ARN"],
            "EVENTS_QUEUE_URL": queues["events"],
            "EVENTS_DLQ_URL": queues["events-dlq"],
            "NORCE_EVENTS_KEYS_SECRET_ARN": secrets.create_secret(
                Name="norce-events-keys", SecretString=json.dumps({"apiKey": EVENTS_KEY})
            )["ARN"],
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield {"queues": queues, "table": receiver.table, "bucket": receiver.bucket}


def stored(aws: dict[str, Any]) -> dict[str, int]:
    sqs = boto3.client("sqs")
    counts = {
        name: int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        for name, url in aws["queues"].items()
    }
    counts["table"] = boto3.client("dynamodb").scan(TableName=aws["table"])["Count"]
    counts["bucket"] = boto3.client("s3").list_objects_v2(Bucket=aws["bucket"]).get("KeyCount", 0)
    return counts


def request(name: str, module: Any, ref: str) -> dict[str, Any]:
    if name == "order_receiver":
        event = load_event("order_receiver/post-order-json.json")
        order = json.loads(event["body"])
        order["ClientOrderRef"] = ref
        event["body"] = json.dumps(order)
    elif name == "erp_push":
        event = load_event("erp_push/push-send-order-status.json")
    else:
        event = load_event("event_receiver/post-OrderConfirmedEvent.json")
    answer: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
    return answer


@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_priming_builds_everything_and_stores_or_sends_nothing(aws, monkeypatch, caplog, hooks, name):
    monkeypatch.setenv("PRIME_ON_INIT", "1")
    before = stored(aws)
    with caplog.at_level(logging.WARNING, logger=snapstart.__name__):
        module = load_function(name)
    assert caplog.records == []  # every step and every rehearsed call succeeded
    assert stored(aws) == before  # rehearsals use in-memory ports; the AWS calls never left the process
    built = (module.intake, module.authenticator) if name == "order_receiver" else (module.components,)
    assert all(builder.cache_info().currsize == 1 for builder in built)


@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_a_primed_handler_answers_its_first_request_and_again_after_a_restore(aws, monkeypatch, hooks, name):
    monkeypatch.setenv("PRIME_ON_INIT", "1")
    boto3.client("dynamodb").put_item(  # the order erp_push's document belongs to (basket 1001234)
        TableName=aws["table"],
        Item={
            "pk": {"S": "REF#1001234"},
            "order_key": {"S": "ORDER#-#1001234"},
            "client_order_ref": {"S": "1001234"},
            "erp_order_no": {"S": "SO-000001"},
        },
    )
    module = load_function(name)
    expected = {"order_receiver": 200, "erp_push": 202, "event_receiver": 200}[name]
    assert request(name, module, "SNAP-1")["statusCode"] == expected
    closed: list[str] = []
    real_close = snapstart.close_pools
    monkeypatch.setattr(
        snapstart, "close_pools", lambda *c: (closed.extend(type(x).__name__ for x in c), real_close(*c))
    )
    snapstart.run_before_snapshot()  # as Lambda does once the init phase is done
    snapstart.run_after_restore()  # and in each copy restored from the snapshot
    # + secretsmanager; erp_push: DynamoDB, SQS and S3 (it holds documents against the archived order)
    services = {"order_receiver": 4, "erp_push": 4, "event_receiver": 2}[name]
    assert len(closed) == 2 * services
    answer = request(name, module, "SNAP-2")
    assert answer["statusCode"] == expected, answer
    if name == "order_receiver":
        assert json.loads(answer["body"])["StatusCode"] == "OK"
