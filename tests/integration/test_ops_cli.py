"""The ops CLI (`norce-ops`) on a hand-built table and queues in moto: jobs, dlq, redrive, trail, replay,
health, and resolving a stack through CloudFormation."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from norce_integration.contracts.connect import FINISHED_LABELS, JobStatus
from ops.cli import app
from ops.records import FINISHED_JOBS, SUCCEEDED
from ops.target import DLQ_SOURCES, Target, TargetError, from_stack, resolve_dlq

REGION = "eu-north-1"
REASON = "ERP rejected it: ERP: POST /orders answered 422: line 1: unknown item ITEM404"
runner = CliRunner()


@pytest.fixture
def target() -> Iterator[Target]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {}
        for dlq, source in DLQ_SOURCES.items():
            fifo = source == "LifecycleQueue"
            suffix, attributes = (".fifo", {"FifoQueue": "true"}) if fifo else ("", {})
            queues[dlq] = sqs.create_queue(QueueName=f"t-{dlq}{suffix}", Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=queues[dlq], AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "40"})
            queues[source] = sqs.create_queue(
                QueueName=f"t-{source}{suffix}", Attributes={**attributes, "RedrivePolicy": policy}
            )["QueueUrl"]
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="t-orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="t-archive", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield Target(
            name="test",
            table="t-orders",
            bucket="t-archive",
            queues=queues,
            region=REGION,
            receive_wait_seconds=0,
        )


def invoke(target: Target, *args: str) -> Any:
    return runner.invoke(app, list(args), obj=target)


def put(target: Target, item: dict[str, Any]) -> None:
    from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415

    serialize = TypeSerializer().serialize
    target.client("dynamodb").put_item(
        TableName=target.table, Item={name: serialize(value) for name, value in item.items()}
    )


def send(target: Target, queue: str, body: str, reason: str | None = None, **extra: Any) -> None:
    attributes = {"FailureReason": {"DataType": "String", "StringValue": reason}} if reason else {}
    target.client("sqs").send_message(
        QueueUrl=target.queues[queue], MessageBody=body, MessageAttributes=attributes, **extra
    )


def visible(target: Target, queue: str) -> list[dict[str, Any]]:
    return (
        target.client("sqs")
        .receive_message(
            QueueUrl=target.queues[queue],
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )


def order_item(ref: str, **fields: Any) -> dict[str, Any]:
    return {
        "pk": f"ORDER#app-1#{ref}",
        "state": "ACCEPTED",
        "token": "token-1",
        "fingerprint": "f" * 64,
        "lease_until": 1,
        "archive_key": f"orders/app-1/{ref}/ffff.json",
        "response": json.dumps({"StatusCode": "OK", "Description": "No error"}),
        "trail": [{"at": 1_700_000_000, "event": "received", "wire_format": "json"}],
        **fields,
    }


# -- jobs ---------------------------------------------------------------------------------------------------
def test_jobs_lists_the_newest_first_as_json(target):
    put(target, {"pk": "JOB#1", "job_id": 1, "kind": "customers", "mode": "delta", "records": 5,
                 "status": "Succeeded", "started_at": 100, "finished_at": 110})  # fmt: skip
    put(target, {"pk": "JOB#2", "job_id": 2, "kind": "companies", "mode": "full", "records": 7,
                 "status": "Queued", "started_at": 300})  # fmt: skip
    put(target, {"pk": "JOB#3", "job_id": 3, "kind": "customer", "count": 2, "client_order_refs": ["R1"],
                 "status": "Failed", "started_at": 200, "finished_at": 250,
                 "job_errors": ["row 1: bad e-mail", "row 2: bad", "row 3: bad", "row 4: bad"]})  # fmt: skip
    put(target, {"pk": "ORDER#-#NOT-A-JOB", "state": "ACCEPTED"})

    result = invoke(target, "jobs", "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == [2, 3, 1]
    assert rows[1]["mode"] == "write-back" and rows[1]["records"] == 2
    assert (
        rows[1]["errors"] == ["row 1: bad e-mail", "row 2: bad", "row 3: bad"] and rows[1]["error_count"] == 4
    )
    assert rows[2]["finished"] == "1970-01-01T00:01:50+00:00"
    assert [row["id"] for row in json.loads(invoke(target, "jobs", "--json", "--limit", "1").output)] == [2]
    table = invoke(target, "jobs")
    assert table.exit_code == 0 and "Succeeded" in table.output and "Queued" in table.output


def test_jobs_show_what_norces_validation_refused_and_which_jobs_are_not_ours(target):
    refused = {"items": 3, "failures": 1, "messages": ["Row 2: no Id, Code or EmailAddress"]}
    put(target, {"pk": "JOB#4", "job_id": 4, "kind": "customers", "count": 3, "client_order_refs": ["R4"],
                 "status": "Succeeded", "started_at": 400, "validation": refused})  # fmt: skip
    put(target, {"pk": "JOB#5", "job_id": 5, "status": "Failed", "finished_at": 500, "foreign_job": True})

    rows = json.loads(invoke(target, "jobs", "--json").output)

    by_id = {row["id"]: row for row in rows}
    assert by_id[4]["validation_failures"] == 1
    assert by_id[4]["validation_messages"] == ["Row 2: no Id, Code or EmailAddress"]
    assert (by_id[5]["mode"], by_id[5]["foreign"]) == ("not ours", True)
    table = invoke(target, "jobs").output
    assert "1 refused" in table and "not ours" in table


# -- dlq ----------------------------------------------------------------------------------------------------
def test_dlq_shows_each_dlqs_depth_and_oldest_age_and_leaves_the_messages_there(target):
    send(target, "OrdersDeadLetterQueue", '{"key": "ORDER#-#A"}', REASON)
    send(target, "OrdersDeadLetterQueue", '{"key": "ORDER#-#B"}')

    result = invoke(target, "dlq", "--json")

    assert result.exit_code == 0, result.output
    rows = {row["queue"]: row for row in json.loads(result.output)}
    assert set(rows) == set(DLQ_SOURCES)
    orders = rows["OrdersDeadLetterQueue"]
    assert orders["depth"] == 2 and orders["source"] == "OrdersQueue"
    assert 0 <= orders["oldest_age_seconds"] < 60 and orders["oldest_sent_at"] is not None
    assert (
        rows["EventsDeadLetterQueue"]["depth"] == 0
        and rows["EventsDeadLetterQueue"]["oldest_age_seconds"] is None
    )
    assert len(visible(target, "OrdersDeadLetterQueue")) == 2, "the peek made them visible again"
    table = invoke(target, "dlq")
    assert "OrdersDeadLetterQueue" in table.output and "LifecycleQueue" in table.output


# -- redrive ------------------------------------------------------------------------------------------------
def test_redrive_dry_run_counts_and_summarises_reasons_and_moves_nothing(target):
    for ref in ("A", "B"):
        send(target, "OrdersDeadLetterQueue", json.dumps({"key": f"ORDER#-#{ref}"}), REASON)
    send(target, "OrdersDeadLetterQueue", '{"key": "ORDER#-#C"}')

    result = invoke(target, "redrive", "orders", "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["queue"] == "OrdersDeadLetterQueue" and summary["source"] == "OrdersQueue"
    assert summary["count"] == 3 and summary["moved"] == 0 and summary["dry_run"] is True
    assert summary["reasons"] == {REASON: 2, "exhausted retries": 1}
    assert len(visible(target, "OrdersDeadLetterQueue")) == 3 and visible(target, "OrdersQueue") == []
    text = invoke(target, "redrive", "orders", "--dry-run")
    assert "exhausted retries" in text.output and "Nothing moved" in text.output


def test_redrive_moves_the_messages_back_with_their_attributes(target):
    send(target, "OrdersDeadLetterQueue", '{"key": "ORDER#-#A"}', REASON)
    send(target, "OrdersDeadLetterQueue", '{"key": "ORDER#-#B"}')

    result = invoke(target, "redrive", "OrdersDeadLetterQueue", "--yes", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["moved"] == 2 and summary["failed"] == 0
    assert summary["method"] == "manual", "moto has no StartMessageMoveTask: moved one batch at a time"
    assert visible(target, "OrdersDeadLetterQueue") == []
    moved = visible(target, "OrdersQueue")
    assert sorted(m["Body"] for m in moved) == ['{"key": "ORDER#-#A"}', '{"key": "ORDER#-#B"}']
    reasons = {
        m["Body"]: m.get("MessageAttributes", {}).get("FailureReason", {}).get("StringValue") for m in moved
    }
    assert reasons['{"key": "ORDER#-#A"}'] == REASON


def test_redrive_of_the_fifo_lifecycle_dlq_keeps_each_documents_group(target):
    for number in (1, 2):
        send(target, "LifecycleDeadLetterQueue", json.dumps({"key": f"doc-{number}"}), "Norce refused it",
             MessageGroupId="order-1", MessageDeduplicationId=f"doc-{number}")  # fmt: skip

    result = invoke(target, "redrive", "lifecycle", "-y", "--json")

    assert json.loads(result.output)["moved"] == 2
    moved = visible(target, "LifecycleQueue")
    assert [m["Body"] for m in moved] == ['{"key": "doc-1"}', '{"key": "doc-2"}']
    assert {m["Attributes"]["MessageGroupId"] for m in moved} == {"order-1"}


def test_redrive_of_an_empty_dlq_and_of_an_unknown_queue(target):
    assert "empty" in invoke(target, "redrive", "events", "--yes").output
    unknown = invoke(target, "redrive", "nope")
    assert unknown.exit_code == 2 and "no dead-letter queue 'nope'" in unknown.output


def test_short_names_resolve_to_the_dlqs():
    assert resolve_dlq("orders") == "OrdersDeadLetterQueue"
    assert resolve_dlq("writeback-dlq") == "WritebackDeadLetterQueue"
    assert resolve_dlq("LifecycleDeadLetterQueue") == "LifecycleDeadLetterQueue"
    with pytest.raises(TargetError):
        resolve_dlq("OrdersQueue")


# -- trail --------------------------------------------------------------------------------------------------
def test_trail_of_an_unknown_ref_says_so_with_exit_code_1(target):
    put(target, order_item("KNOWN"))

    result = invoke(target, "trail", "NOPE")

    assert result.exit_code == 1
    assert "No order 'NOPE'" in result.output and "no ledger record" in result.output


def test_trail_shows_a_confirmed_orders_journey_documents_and_e_mails(target):
    put(target, order_item("REF1", processing_state="confirmed", erp_order_no="SO-1", target="default",
        trail=[{"at": 1_700_000_000, "event": "received", "wire_format": "json"},
               {"at": 1_700_000_001, "event": "erp_order_created", "erp_order_no": "SO-1"},
               {"at": 1_700_000_002, "event": "confirmed"}]))  # fmt: skip
    put(target, order_item("XREF1"))  # another ref ending in the same characters
    put(target, {"pk": "DOC#CreateInvoice#ORDER#app-1#REF1#INV-1", "order_key": "ORDER#app-1#REF1",
                 "state": "SENT", "attempts": 1})  # fmt: skip
    put(target, {"pk": "MAIL#OrderConfirmedEvent#REF1", "state": "SENT", "sent_at": 1_700_000_003})
    put(target, {"pk": "MAIL#OrderConfirmedEvent#XREF1", "state": "SENT"})
    target.client("s3").put_object(Bucket="t-archive", Key="orders/app-1/REF1/ffff.json", Body=b"{}")

    result = invoke(target, "trail", "REF1", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "confirmed in Norce (ERP order SO-1)"
    [order] = report["orders"]
    assert order["key"] == "ORDER#app-1#REF1" and order["application_key"] == "app-1"
    assert order["intake"]["answer"]["StatusCode"] == "OK" and order["intake"]["received_at"] == 1_700_000_000
    assert order["archive"]["exists"] is True and order["archive"]["size"] == 2
    assert order["confirmed_at"] == 1_700_000_002
    assert [d["key"] for d in order["documents"]] == ["CreateInvoice#ORDER#app-1#REF1#INV-1"]
    assert order["mails"] == [
        {"type": "OrderConfirmedEvent", "state": "SENT", "sent_at": 1_700_000_003, "message_id": None}
    ]
    text = invoke(target, "trail", "REF1")
    assert "confirmed in Norce (ERP order SO-1)" in text.output and "erp_order_created" in text.output


def test_trail_shows_an_invoice_the_payment_provider_did_not_capture_as_stuck(target):
    failed = {"at": 1_700_000_010, "event": "invoice_capture_failed", "capture_state": "Error",
              "capture_invoice_no": "INV-7", "capture_invoice_id": 600000007}  # fmt: skip
    put(target, order_item("REF7", processing_state="confirmed", erp_order_no="SO-7",
        trail=[{"at": 1_700_000_000, "event": "confirmed"}, failed]))  # fmt: skip

    report = json.loads(invoke(target, "trail", "REF7", "--json").output)

    expected = "invoice INV-7 (Norce invoice 600000007) was not captured by the payment provider"
    assert expected in report["verdict"] and report["orders"][0]["stuck"] is True
    assert any(expected in error for error in report["orders"][0]["errors"])
    text = invoke(target, "trail", "REF7").output
    assert "invoice_capture_failed" in text and "INV-7" in text

    captured = {**failed, "event": "invoice_captured", "capture_state": "Captured", "at": 1_700_000_020}
    put(target, order_item("REF8", processing_state="confirmed", erp_order_no="SO-8",
        trail=[{"at": 1_700_000_000, "event": "confirmed"}, failed, captured]))  # fmt: skip
    assert json.loads(invoke(target, "trail", "REF8", "--json").output)["verdict"] == (
        "confirmed in Norce (ERP order SO-8)"
    ), "a later successful capture of the same invoice makes it good"


def test_trail_shows_the_import_jobs_of_its_codes_and_warns_of_rows_norce_refused(target):
    put(target, order_item("700100", processing_state="confirmed", erp_order_no="SO-2",
        trail=[{"at": 1_700_000_000, "event": "received"}, {"at": 1_700_000_001, "event": "confirmed"},
               {"at": 1_700_000_002, "event": "codes_sent_to_norce", "codes": ["customer C1"], "norce_job": 7,
                "validation": {"items": 1, "failures": 1, "messages": ["Row 1: refused"]}}]))  # fmt: skip
    put(target, {"pk": "JOB#7", "job_id": 7, "kind": "customers", "count": 1, "client_order_refs": ["700100"],
                 "status": "Succeeded", "started_at": 1_700_000_002,
                 "validation": {"items": 1, "failures": 1, "messages": ["Row 1: refused"]}})  # fmt: skip
    put(target, {"pk": "JOB#8", "job_id": 8, "kind": "customers", "client_order_refs": ["1700100"],
                 "status": "Succeeded"})  # fmt: skip

    report = json.loads(invoke(target, "trail", "700100", "--json").output)

    [order] = report["orders"]
    assert [job["id"] for job in order["jobs"]] == [7]
    assert order["warnings"] == [
        "Norce import job 7 (customers): its validation refused 1 of 1 rows: Row 1: refused"
    ]
    text = invoke(target, "trail", "700100").output
    assert (
        "warning: Norce import job 7" in text and "1 rows refused" in text and "codes_sent_to_norce" in text
    )


def test_trail_finds_an_order_parked_on_the_dlq_with_its_reason(target):
    put(target, order_item("REF2", processing_state="failed", last_error=REASON))
    message = {"key": "ORDER#app-1#REF2", "client_order_ref": "REF2", "token": "token-1"}
    send(target, "OrdersDeadLetterQueue", json.dumps(message), REASON)

    report = json.loads(invoke(target, "trail", "REF2", "--json").output)

    assert report["verdict"] == f"parked in the orders DLQ: {REASON}"
    assert report["orders"][0]["messages"][0]["queue"] == "OrdersDeadLetterQueue"
    assert f"OrdersDeadLetterQueue: {REASON}" in report["orders"][0]["errors"]
    assert len(visible(target, "OrdersDeadLetterQueue")) == 1, "trail consumes nothing"


def test_trail_finds_a_parked_message_without_a_ledger_record(target):
    send(target, "OrdersDeadLetterQueue", json.dumps({"key": "ORDER#-#GHOST", "client_order_ref": "GHOST"}))

    result = invoke(target, "trail", "GHOST", "--json")

    assert result.exit_code == 0
    assert json.loads(result.output)["verdict"] == (
        "parked in the orders DLQ: exhausted retries (no ledger record for it)"
    )


# -- replay -------------------------------------------------------------------------------------------------
def test_replay_queues_the_ledgers_message_and_takes_it_off_the_dlq(target):
    put(target, order_item("REF3", processing_state="failed", last_error=REASON))
    target.client("s3").put_object(Bucket="t-archive", Key="orders/app-1/REF3/ffff.json", Body=b"{}")
    send(target, "OrdersDeadLetterQueue", json.dumps({"key": "ORDER#app-1#REF3"}), REASON)
    send(target, "OrdersDeadLetterQueue", json.dumps({"key": "ORDER#app-1#OTHER"}), REASON)

    result = invoke(target, "replay", "REF3", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["removed_from_dlq"] == 1
    [queued] = visible(target, "OrdersQueue")
    assert json.loads(queued["Body"]) == {
        "key": "ORDER#app-1#REF3",
        "client_order_ref": "REF3",
        "application_key": "app-1",
        "token": "token-1",
        "archive_key": "orders/app-1/REF3/ffff.json",
        "wire_format": "json",
        "fingerprint": "f" * 64,
        "received_at": 1_700_000_000.0,
        "attributes": {},
    }
    assert queued["MessageAttributes"]["ClientOrderRef"]["StringValue"] == "REF3"
    assert [json.loads(m["Body"])["key"] for m in visible(target, "OrdersDeadLetterQueue")] == [
        "ORDER#app-1#OTHER"
    ]


def test_replay_refuses_an_unknown_a_confirmed_and_an_unarchived_order(target):
    put(target, order_item("DONE", processing_state="confirmed", erp_order_no="SO-9"))
    put(target, order_item("LOST", processing_state="failed"))

    unknown = invoke(target, "replay", "NOPE")
    confirmed = invoke(target, "replay", "DONE")
    lost = invoke(target, "replay", "LOST")

    assert unknown.exit_code == 1 and "Unknown order 'NOPE'" in unknown.output
    assert confirmed.exit_code == 1 and "already confirmed" in confirmed.output and "SO-9" in confirmed.output
    assert lost.exit_code == 1 and "is gone" in lost.output
    assert visible(target, "OrdersQueue") == []


# -- health -------------------------------------------------------------------------------------------------
def test_health_fails_when_a_dlq_holds_a_message(target):
    healthy = invoke(target, "health", "--json")
    send(target, "EventsDeadLetterQueue", "{}", "bad body")
    unhealthy = invoke(target, "health", "--json")

    assert healthy.exit_code == 0, healthy.output
    checks = {c["name"]: c for c in json.loads(healthy.output)["checks"]}
    assert checks["erp"]["ok"] is None and checks["norce"]["ok"] is None, "no configuration: not checked"
    assert checks["dlq:OrdersDeadLetterQueue"]["ok"] is True and checks["queue:OrdersQueue"]["ok"] is True
    assert unhealthy.exit_code == 1
    assert {c["name"]: c for c in json.loads(unhealthy.output)["checks"]}["dlq:EventsDeadLetterQueue"][
        "ok"
    ] is False


# -- targets ------------------------------------------------------------------------------------------------
def test_a_stack_is_resolved_through_cloudformation():
    template = {
        "Resources": {
            "OrdersDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "OrdersQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "OrdersTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
            "OrderArchiveBucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        },
        "Outputs": {"OrdersTableName": {"Value": {"Ref": "OrdersTable"}}},
    }
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="norce-test", TemplateBody=json.dumps(template)
        )
        target = from_stack("norce-test", region=REGION)
        sqs = boto3.client("sqs", region_name=REGION)

        assert set(target.queues) == {"OrdersQueue", "OrdersDeadLetterQueue"}
        assert sqs.get_queue_attributes(QueueUrl=target.queues["OrdersQueue"], AttributeNames=["QueueArn"])
        assert target.dlqs == {"OrdersDeadLetterQueue": target.queues["OrdersDeadLetterQueue"]}
        assert target.table.startswith("norce-test") or target.table
        assert target.bucket
        with pytest.raises(TargetError, match="cannot read stack 'nope'"):
            from_stack("nope", region=REGION)


def test_a_command_without_a_target_asks_for_one():
    result = runner.invoke(app, ["jobs"])

    assert result.exit_code == 2 and "--stack NAME" in result.output


def test_the_cli_reads_job_statuses_as_the_integration_stores_them():

    assert set(FINISHED_JOBS) == FINISHED_LABELS
    assert JobStatus.SUCCEEDED.label == SUCCEEDED


def test_health_checks_business_central_with_its_token_and_company(target):
    from local.business_central import BusinessCentralSimulator  # noqa: PLC0415

    with BusinessCentralSimulator(port=0) as bc:
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="bc", SecretString=json.dumps({"clientSecret": bc.client_secret})
        )["ARN"]
        target.settings = {
            "ERP_KIND": "business-central",
            "BC_TENANT_ID": bc.tenant_id,
            "BC_ENVIRONMENT": bc.environment,
            "BC_COMPANY_ID": bc.company_id,
            "BC_CLIENT_ID": bc.client_id,
            "BC_CLIENT_SECRET_ARN": secret,
            "BC_API_URL": bc.api_url,
            "BC_LOGIN_URL": bc.login_url,
        }
        healthy = {c["name"]: c for c in json.loads(invoke(target, "health", "--json").output)["checks"]}
        bc.client_secret = "rotated in Entra ID"
        refused = {c["name"]: c for c in json.loads(invoke(target, "health", "--json").output)["checks"]}
    assert healthy["erp"]["ok"] is True and "CRONUS" in healthy["erp"]["detail"]
    assert refused["erp"]["ok"] is False and "invalid_client" in refused["erp"]["detail"]
