"""template.yaml: what a user relies on when they `sam deploy` it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.decode import decode_str

from norce_integration import settings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TEXT = (ROOT / "template.yaml").read_text()
TEMPLATE: dict[str, Any] = decode_str(TEMPLATE_TEXT)[0]
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def of_type(kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in RESOURCES.items() if resource["Type"] == kind}


def statements(function: str) -> list[dict[str, Any]]:
    found = []
    for policy in RESOURCES[function]["Properties"]["Policies"]:
        assert isinstance(policy, dict) and "Statement" in policy, f"{function}: only inline statements"
        found += policy["Statement"]
    return found


def test_functions_run_python_313_on_arm64_with_the_shared_layer():
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    assert globals_["Layers"] == [{"Ref": "SharedLayer"}]
    assert globals_["Tracing"] == "Active"
    layer = RESOURCES["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Properties"]["ContentUri"] == "layers/shared/"
    for name, function in of_type("AWS::Serverless::Function").items():
        code_uri = ROOT / function["Properties"]["CodeUri"]
        assert (code_uri / "app.py").exists(), name
        assert function["Properties"]["Handler"] == "app.lambda_handler"


def test_every_queue_has_a_dead_letter_queue_with_an_alarm():
    queues = of_type("AWS::SQS::Queue")
    dead_letter = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    assert dead_letter == {name for name in queues if "DeadLetter" in name}
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
    }
    assert dead_letter <= alarmed
    assert "OrdersQueue" in alarmed, "oldest-message-age alarm on the orders queue"


def test_everything_is_encrypted_and_the_archive_is_private_and_tls_only():
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in of_type("AWS::SQS::Queue").values())
    assert RESOURCES["OrdersTable"]["Properties"]["SSESpecification"]["SSEEnabled"] is True
    bucket = RESOURCES["OrderArchiveBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [deny] = RESOURCES["OrderArchiveBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Not alias/aws/sns: CloudWatch alarms cannot publish to a topic under that key (see the test below).
    assert RESOURCES["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "LogsAndAlarmsKey"}


@pytest.mark.parametrize(
    "function", ["OrderReceiverFunction", "OrderProcessorFunction", "NorceWritebackFunction"]
)
def test_iam_is_least_privilege(function):
    for statement in statements(function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "*" not in resources, statement


def test_the_receiver_may_only_send_orders_and_write_its_ledger_archive_and_read_its_secret():
    granted = {
        (action, str(statement["Resource"]))
        for statement in statements("OrderReceiverFunction")
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert {action for action, _ in granted} == {
        "sqs:SendMessage",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "s3:PutObject",
        "s3:GetObject",
        "secretsmanager:GetSecretValue",
    }
    assert all("OrdersQueue" in resource for action, resource in granted if action.startswith("sqs:"))
    assert all("/orders/*" in resource for action, resource in granted if action.startswith("s3:"))


SETTINGS_OF = {
    "OrderReceiverFunction": "ReceiverSettings",
    "OrderProcessorFunction": "ProcessorSettings",
    "NorceWritebackFunction": "ProcessorSettings",
    "ErpPushFunction": "ErpPushSettings",
    "ErpPollFunction": "ErpPollSettings",
    "LifecycleProcessorFunction": "LifecycleSettings",
    "EventReceiverFunction": "EventReceiverSettings",
    "EventProcessorFunction": "EventProcessorSettings",
    "ErpImportFunction": "ImportSettings",
    "ErpWebhookFunction": "ErpWebhookSettings",
}


@pytest.mark.parametrize("erp_kind", ["rest", "business-central"])
@pytest.mark.parametrize("function", sorted(SETTINGS_OF))
def test_each_function_gets_the_environment_its_code_requires(function, erp_kind, monkeypatch):
    for name in list(os.environ):
        if name.isupper() and name not in ("PATH", "HOME"):
            monkeypatch.delenv(name, raising=False)
    variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
    numeric = {
        "NORCE_ACCOUNT_ID",
        "MAX_ORDER_BYTES",
        "MAX_PUSH_BYTES",
        "MAX_EVENT_BYTES",
        "ORDER_RECORD_TTL_DAYS",
        "DOCUMENT_WAIT_SECONDS",
        "CHANGE_SETTLE_SECONDS",
        "SHRINK_GUARD_LIMIT",
        "DELTA_OVERLAP_SECONDS",
        "MAX_RECORDS_PER_JOB",
        "JOB_LEAD_SECONDS",
        "WRITEBACK_MAX_RECEIVE_COUNT",
        "BC_PAGE_SIZE",
    }
    codes = {"NORCE_COUNTRY_CODES": "752=SE", "NORCE_CURRENCY_CODES": "752=SEK"}
    for name in variables:
        value = "1" if name in numeric else "{}" if name == "ERP_TARGETS" else "https://set.example/"
        monkeypatch.setenv(name, erp_kind if name == "ERP_KIND" else codes.get(name, value))
    getattr(settings, SETTINGS_OF[function]).from_env()  # raises naming a variable the template lacks


def test_every_function_is_configured_by_a_known_settings_class():
    functions = {name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(SETTINGS_OF)


def test_orders_reach_the_processor_with_partial_batch_responses_and_a_concurrency_cap():
    event = RESOURCES["OrderProcessorFunction"]["Properties"]["Events"]["Orders"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ProcessorMaxConcurrency"}
    assert event["MaximumBatchingWindowInSeconds"] <= 5
    queue_visibility = RESOURCES["OrdersQueue"]["Properties"]["VisibilityTimeout"]
    assert queue_visibility >= 6 * RESOURCES["OrderProcessorFunction"]["Properties"]["Timeout"]


def test_the_api_serves_post_orders():
    [event] = RESOURCES["OrderReceiverFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "Api"
    assert (event["Properties"]["Path"], event["Properties"]["Method"]) == ("/orders", "post")


def test_cfn_lint_passes():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-north-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_layer_requirements_are_the_locked_runtime_dependencies():
    exported = subprocess.run(
        [
            os.environ.get("UV", "uv"),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--no-header",
            "--no-annotate",
            "--prune",
            "boto3",  # boto3 and what only it needs come from the Lambda runtime
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    expected = [line for line in exported if not re.match(r"^(boto3|botocore|s3transfer)==", line)]
    assert (ROOT / "layers/shared/requirements.txt").read_text().splitlines() == expected


def test_yaml_loads_without_cloudformation_tags_too():
    assert "Resources" in yaml.safe_load(re.sub(r"!\w+", "", TEMPLATE_TEXT))


def test_the_push_api_description_names_exactly_the_templates_erp_routes():
    documented = yaml.safe_load((ROOT / "docs/erp-push-openapi.yaml").read_text())["paths"]
    events = RESOURCES["ErpPushFunction"]["Properties"]["Events"].values()
    routes = {event["Properties"]["Path"] for event in events if event["Type"] == "Api"}
    assert {f"/erp{path}" for path in documented} == routes


def test_the_lifecycle_queue_keeps_each_orders_documents_in_order_and_parks_on_a_fifo_dlq():
    queue = RESOURCES["LifecycleQueue"]["Properties"]
    assert queue["FifoQueue"] is True and RESOURCES["LifecycleDeadLetterQueue"]["Properties"]["FifoQueue"]
    assert queue["VisibilityTimeout"] >= 6 * RESOURCES["LifecycleProcessorFunction"]["Properties"]["Timeout"]
    event = RESOURCES["LifecycleProcessorFunction"]["Properties"]["Events"]["Documents"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    poll = RESOURCES["ErpPollFunction"]["Properties"]
    assert poll["ReservedConcurrentExecutions"] == 1  # one watermark, one poll at a time
    # Business Central cannot push: its poll always runs, the fallback of its webhooks.
    assert poll["Events"]["Poll"]["Properties"]["State"] == {
        "Fn::If": ["IsBusinessCentral", "ENABLED", {"Ref": "ErpPollState"}]
    }


def test_norce_events_are_received_on_the_typed_and_the_untyped_route_and_answered_within_5_seconds():
    receiver = RESOURCES["EventReceiverFunction"]["Properties"]
    routes = {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in receiver["Events"].values()}
    assert routes == {("/norce/events/{EventType}", "post"), ("/norce/events", "post")}
    assert receiver["Timeout"] <= 5


def test_the_event_processor_reports_partial_batches_and_parks_on_an_alarmed_dlq():
    event = RESOURCES["EventProcessorFunction"]["Properties"]["Events"]["Events"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = RESOURCES["EventsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * RESOURCES["EventProcessorFunction"]["Properties"]["Timeout"]
    alarm = RESOURCES["EventsDeadLetterQueueNotEmptyAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]}


def test_the_event_processor_may_send_email_only_from_the_configured_sender():
    statements = RESOURCES["EventProcessorFunction"]["Properties"]["Policies"][0]["Statement"]
    [ses] = [s for s in statements if s["Action"] == "ses:SendEmail"]
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "NotificationSender"}}}


def test_the_template_outputs_the_url_to_paste_into_norce_admin_for_each_handled_event_type():
    outputs = yaml.safe_load(re.sub(r"!\w+", "", TEMPLATE_TEXT))["Outputs"]
    for name in (
        "OrderReceivedEvent",
        "OrderConfirmedEvent",
        "OrderReadyForPickupEvent",
        "CustomerChangedNotification",
        "CompanyChangedNotification",
        "JobCompletedEvent",
    ):
        assert outputs[f"{name}Url"]["Value"].endswith(f"/norce/events/{name}")


API_FUNCTIONS = {"OrderReceiverFunction", "ErpPushFunction", "EventReceiverFunction"}


def test_snapstart_is_on_for_the_api_functions_only_and_a_parameter_turns_it_off():
    parameter = TEMPLATE["Parameters"]["EnableSnapStart"]
    assert parameter["Default"] == "true" and sorted(parameter["AllowedValues"]) == ["false", "true"]
    assert TEMPLATE["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]}
    assert "SnapStart" not in TEMPLATE["Globals"]["Function"]
    assert TEMPLATE["Globals"]["Function"]["Runtime"] in ("python3.12", "python3.13")  # SnapStart: 3.12+
    for name, function in of_type("AWS::Serverless::Function").items():
        properties = function["Properties"]
        if name in API_FUNCTIONS:
            # SnapStart applies to published versions: API Gateway invokes the `live` alias SAM publishes.
            assert properties["AutoPublishAlias"] == "live", name
            assert properties["SnapStart"] == {
                "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
            }, name
            # What SnapStart cannot be combined with.
            assert "ProvisionedConcurrencyConfig" not in properties, name
            assert "FileSystemConfigs" not in properties, name
            assert properties.get("EphemeralStorage", {}).get("Size", 512) <= 512, name
        else:
            assert "SnapStart" not in properties, name


def test_each_import_has_its_own_schedule_time_zone_and_switch_and_runs_one_entity_and_mode():
    events = RESOURCES["ErpImportFunction"]["Properties"]["Events"]
    inputs = {}
    for name, event in events.items():
        properties = event["Properties"]
        assert event["Type"] == "ScheduleV2"
        assert properties["ScheduleExpression"] == {"Ref": f"{name}Schedule"}
        assert properties["State"] == {"Ref": f"{name}State"}
        assert properties["ScheduleExpressionTimezone"] == {"Ref": "ImportScheduleTimezone"}
        inputs[name] = json.loads(properties["Input"])
    assert inputs == {
        "CustomersDelta": {"entity": "customers", "mode": "delta"},
        "CustomersFull": {"entity": "customers", "mode": "full"},
        "CompaniesDelta": {"entity": "companies", "mode": "delta"},
        "CompaniesFull": {"entity": "companies", "mode": "full"},
        "ImportJobsFollow": {"action": "follow-jobs"},
    }
    assert RESOURCES["ErpImportFunction"]["Properties"]["Timeout"] == 900


def _alarmed(namespace: str, metric: str) -> set[str]:
    """The resources (logical ids) an alarm watches for ``metric``, by their dimension's Ref / GetAtt."""
    watched = set()
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("Namespace") != namespace or properties.get("MetricName") != metric:
            continue
        for dimension in properties.get("Dimensions", []):
            value = dimension["Value"]
            watched.add(value.get("Ref") or value.get("Fn::GetAtt", [None])[0])
    return watched


def test_every_function_has_an_errors_and_a_throttles_alarm_and_a_log_group_with_retention():
    functions = set(of_type("AWS::Serverless::Function"))
    assert functions <= _alarmed("AWS/Lambda", "Errors")
    assert functions <= _alarmed("AWS/Lambda", "Throttles")
    groups = {
        resource["Properties"]["LogGroupName"]["Fn::Sub"].rsplit("${", 1)[1].rstrip("}"): resource[
            "Properties"
        ]
        for resource in of_type("AWS::Logs::LogGroup").values()
        if "Fn::Sub" in resource["Properties"].get("LogGroupName", {})
    }
    for function in functions:
        assert function in groups, f"{function} has no log group of its own"
        assert groups[function]["RetentionInDays"] <= 400, f"{function}'s logs are kept for ever"


def test_every_source_queue_has_an_oldest_message_age_alarm():
    sources = {name for name, q in of_type("AWS::SQS::Queue").items() if "RedrivePolicy" in q["Properties"]}
    assert sources <= _alarmed("AWS/SQS", "ApproximateAgeOfOldestMessage")


def test_no_policy_statement_grants_every_action_or_every_resource():
    for name in of_type("AWS::Serverless::Function"):
        for statement in statements(name):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(action == "*" or action.endswith(":*") for action in actions), name
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            assert "*" not in resources, f"{name} grants {actions} on every resource"


def test_the_dashboard_shows_every_queue_and_function():
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for name in [*of_type("AWS::SQS::Queue"), *of_type("AWS::Serverless::Function")]:
        assert "${" + name in body, f"{name} is not on the dashboard"
    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # valid JSON once substituted


# ---------------------------------------------------------------- the security review (docs/security.md)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _tls_only_denies(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for statement in policy["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Principal"] == "*"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]


def test_every_queue_is_encrypted_at_rest_and_in_a_tls_only_queue_policy():
    queues = of_type("AWS::SQS::Queue")
    covered = set()
    for policy in of_type("AWS::SQS::QueuePolicy").values():
        listed = {queue["Ref"] for queue in policy["Properties"]["Queues"]}
        for deny in _tls_only_denies(policy["Properties"]["PolicyDocument"]):
            assert deny["Action"] in ("sqs:*", ["sqs:*"])
            denied = {resource["Fn::GetAtt"][0] for resource in _listed(deny["Resource"])}
            covered |= listed & denied
    for name, queue in queues.items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or properties.get("KmsMasterKeyId"), name
        assert name in covered, f"{name} is not in a TLS-only queue policy"


def test_every_bucket_is_encrypted_private_versioned_and_tls_only():
    policies = {
        policy["Properties"]["Bucket"]["Ref"]: policy["Properties"]["PolicyDocument"]
        for policy in of_type("AWS::S3::BucketPolicy").values()
    }
    for name, bucket in of_type("AWS::S3::Bucket").items():
        properties = bucket["Properties"]
        [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        assert properties["VersioningConfiguration"]["Status"] == "Enabled", name
        [deny] = _tls_only_denies(policies[name])
        assert deny["Action"] in ("s3:*", ["s3:*"])
        assert {json.dumps(resource, sort_keys=True) for resource in deny["Resource"]} == {
            json.dumps({"Fn::GetAtt": [name, "Arn"]}, sort_keys=True),
            json.dumps({"Fn::Sub": f"${{{name}.Arn}}/*"}, sort_keys=True),
        }, "the bucket and every object in it"


def test_the_table_is_encrypted_and_recoverable():
    for name, table in of_type("AWS::DynamoDB::Table").items():
        properties = table["Properties"]
        assert properties["SSESpecification"]["SSEEnabled"] is True, name
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


API_EVENT_TYPES = {"Api"}


def _api_functions() -> dict[str, dict[str, Any]]:
    return {
        name: function
        for name, function in of_type("AWS::Serverless::Function").items()
        if any(
            event["Type"] in API_EVENT_TYPES for event in function["Properties"].get("Events", {}).values()
        )
    }


def test_the_api_writes_json_access_logs_without_bodies_or_headers_to_an_encrypted_log_group():
    for name, api in of_type("AWS::Serverless::Api").items():
        setting = api["Properties"]["AccessLogSetting"]
        group = setting["DestinationArn"]["Fn::GetAtt"]
        assert group[1] == "Arn"
        group_properties = RESOURCES[group[0]]["Properties"]
        assert RESOURCES[group[0]]["Type"] == "AWS::Logs::LogGroup"
        assert 1 <= group_properties["RetentionInDays"] <= 400
        assert group_properties["KmsKeyId"] == {"Fn::GetAtt": ["LogsAndAlarmsKey", "Arn"]}
        line = setting["Format"]
        assert "\n" not in line, "one line per request"
        variables = set(re.findall(r"\$context\.[\w.-]+", line))
        assert {"$context.requestId", "$context.status", "$context.identity.sourceIp"} <= variables
        # Nothing of the request's content: no body, no header (Authorization, X-Api-Key), no mapping input.
        assert not [v for v in variables if re.search(r"body|header|input|authorizer|requestOverride", v)]
        record = json.loads(re.sub(r"\$context\.[\w.-]+", lambda m: '"v"' if "String" in m[0] else "v", line))
        assert {"requestId", "status", "ip"} <= set(record), name
        # No execution logs: at INFO with data tracing they would hold whole requests.
        for settings_ in api["Properties"]["MethodSettings"]:
            assert settings_.get("DataTraceEnabled", False) is False
            assert settings_.get("LoggingLevel", "OFF") == "OFF"


def test_the_api_is_throttled_on_every_route():
    for name, api in of_type("AWS::Serverless::Api").items():
        [everything] = [
            s
            for s in api["Properties"]["MethodSettings"]
            if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"
        ]
        assert 0 < everything["ThrottlingRateLimit"] <= everything["ThrottlingBurstLimit"] <= 5000, name
    apis = {
        event["Properties"]["RestApiId"]["Ref"]
        for function in _api_functions().values()
        for event in function["Properties"]["Events"].values()
        if event["Type"] == "Api"
    }
    assert apis == set(of_type("AWS::Serverless::Api")), "every route is on the throttled API"


SIZE_LIMITS = {
    "OrderReceiverFunction": ("MAX_ORDER_BYTES", "MaxOrderBytes"),
    "ErpPushFunction": ("MAX_PUSH_BYTES", "MaxPushBytes"),
    "EventReceiverFunction": ("MAX_EVENT_BYTES", "MaxEventBytes"),
    "ErpWebhookFunction": ("MAX_PUSH_BYTES", "MaxPushBytes"),  # Business Central posts to /erp/... too
}


def test_every_function_behind_the_api_has_a_request_size_limit_under_lambdas_6_mb():
    assert set(_api_functions()) == set(SIZE_LIMITS)
    for function, (variable, parameter) in SIZE_LIMITS.items():
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert variables[variable] == {"Ref": parameter}, function
        declared = TEMPLATE["Parameters"][parameter]
        assert declared["Type"] == "Number"
        assert (
            0
            < int(declared["MinValue"])
            <= int(declared["Default"])
            <= int(declared["MaxValue"])
            <= 6_000_000
        )
        code = (ROOT / RESOURCES[function]["Properties"]["CodeUri"] / "app.py").read_text()
        code += Path(settings.__file__).read_text()  # the receiver reads its limit through ReceiverSettings
        assert f'"{variable}"' in code, f"{function}'s code does not read {variable}"


SECRETISH_NAME = re.compile(r"(?i)(password|passwd|secret|token|api_?key|credential|private_?key)")
# What a credential looks like; placeholders (REPLACE_ME, ..., <...>) are not credentials.
SECRET_VALUES = [
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # an AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)\b(basic|bearer)\s+[a-z0-9+/=._-]{16,}"),  # an Authorization header value
    re.compile(
        r"(?i)[\"']?(password|client_secret|secret_key|api_?key)[\"']?\s*[:=]\s*[\"']?(?!REPLACE_ME|\.\.\.|<)[^\"'\s,}]+"
    ),
    # a long random-looking token: letters of both cases and digits, no separators
    re.compile(r"\b(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{24,}\b"),
]


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_no_secret_value_is_in_the_template_outside_secrets_manager():
    secrets = set(of_type("AWS::SecretsManager::Secret"))
    assert secrets, "the secrets live in Secrets Manager"
    outside = {key: value for key, value in TEMPLATE.items() if key != "Resources"}
    outside["Resources"] = {name: r for name, r in RESOURCES.items() if name not in secrets}
    for text in _strings(outside):
        for pattern in SECRET_VALUES:
            assert not pattern.search(text), f"looks like a credential: {pattern.search(text)[0]!r}"
    for name, parameter in TEMPLATE["Parameters"].items():
        assert not SECRETISH_NAME.search(name), f"{name}: a secret is never a parameter (use a secret ARN)"
        assert "NoEcho" not in parameter, name
    for function_name, function in of_type("AWS::Serverless::Function").items():
        for variable, value in function["Properties"]["Environment"]["Variables"].items():
            if SECRETISH_NAME.search(variable):
                assert variable.endswith("_SECRET_ARN"), f"{function_name}.{variable}: pass the ARN only"
                assert value.get("Ref") in secrets, f"{function_name}.{variable} names a secret of the stack"


def test_generated_secrets_and_placeholders_are_the_only_secret_values():
    for name, secret in of_type("AWS::SecretsManager::Secret").items():
        properties = secret["Properties"]
        if "GenerateSecretString" in properties:
            assert properties["GenerateSecretString"]["PasswordLength"] >= 32, name
            assert "SecretString" not in properties, name
        else:  # to be filled after the first deploy (README): placeholders only
            values = json.loads(properties["SecretString"]).values()
            assert set(values) == {"REPLACE_ME"}, name


def _key_policy(statement_principal: str) -> dict[str, Any]:
    [statement] = [
        s
        for s in RESOURCES["LogsAndAlarmsKey"]["Properties"]["KeyPolicy"]["Statement"]
        if statement_principal in json.dumps(s["Principal"])
    ]
    return statement


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_alarms_may_use():
    # CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns: its key
    # policy does not grant cloudwatch.amazonaws.com and cannot be changed. The alarms would stay silent.
    for name, topic in of_type("AWS::SNS::Topic").items():
        key = topic["Properties"]["KmsMasterKeyId"]
        assert key == {"Ref": "LogsAndAlarmsKey"}, name
    alarms = _key_policy("cloudwatch.amazonaws.com")
    assert alarms["Effect"] == "Allow"
    assert sorted(_listed(alarms["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_every_log_group_is_encrypted_with_the_stacks_key_and_kept_for_a_bounded_time():
    key = RESOURCES["LogsAndAlarmsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    logs = _key_policy("logs.${AWS::Region}.amazonaws.com")
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": {
                "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
            }
        }
    }
    root = _key_policy(":root")
    assert root["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    for name, group in of_type("AWS::Logs::LogGroup").items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsAndAlarmsKey", "Arn"]}, name
        assert 1 <= group["Properties"]["RetentionInDays"] <= 400, name


def test_the_api_gateway_logs_role_is_optional_kept_on_delete_and_set_before_the_stage():
    parameter = TEMPLATE["Parameters"]["CreateApiGatewayLogsRole"]
    assert parameter["Default"] == "true"
    role, account = RESOURCES["ApiGatewayLogsRole"], RESOURCES["ApiGatewayAccountLogsRole"]
    for resource in (role, account):
        assert resource["Condition"] == "CreatesApiGatewayLogsRole"
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    # The access log group, which the stage names, waits for the account setting when this stack makes it.
    assert RESOURCES["OrderApiAccessLogGroup"]["DependsOn"] == "ApiGatewayLogsRoleReady"
    assert RESOURCES["ApiGatewayLogsRoleReady"]["Metadata"]["AccountLogsRole"] == {
        "Fn::If": ["CreatesApiGatewayLogsRole", {"Ref": "ApiGatewayAccountLogsRole"}, "existing"]
    }


def test_functions_are_granted_named_resources_only():
    """Inline statements name the stack's own resources; the only wildcard is SES's identity/* (any verified
    identity may carry the sender's address), narrowed by the sender address condition."""
    for name in of_type("AWS::Serverless::Function"):
        for statement in statements(name):
            for resource in _listed(statement["Resource"]):
                text = json.dumps(resource)
                if "*" in text:
                    assert text.endswith('/*"}') or "identity/*" in text, f"{name}: {text}"
                    if "identity/*" in text:
                        assert statement["Condition"] == {
                            "StringEquals": {"ses:FromAddress": {"Ref": "NotificationSender"}}
                        }
                    else:
                        assert "OrderArchiveBucket.Arn}/orders/*" in text, f"{name}: {text}"


def test_a_permissions_boundary_caps_the_managed_policies_wildcards():
    """SAM's managed policies grant sqs receive/delete and logs writes on `*`; the boundary every function
    role carries lets those reach only this stack's queues and Lambda's log groups, and caps nothing else."""
    assert TEMPLATE["Globals"]["Function"]["PermissionsBoundary"] == {"Ref": "FunctionsPermissionsBoundary"}
    for name, function in of_type("AWS::Serverless::Function").items():
        assert "PermissionsBoundary" not in function["Properties"], f"{name} overrides the boundary"
        assert "Role" not in function["Properties"], f"{name}: SAM's role, with the boundary"
    boundary = RESOURCES["FunctionsPermissionsBoundary"]
    others, queues, logs = boundary["Properties"]["PolicyDocument"]["Statement"]
    assert (others["Effect"], others["NotAction"], others["Resource"]) == ("Allow", ["sqs:*", "logs:*"], "*")
    assert {r["Fn::GetAtt"][0] for r in queues["Resource"]} == set(of_type("AWS::SQS::Queue"))
    assert logs["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"
    }
    # What the functions need of SQS is inside the boundary: their own grants and Lambda's queue polling.
    needed = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    for name in of_type("AWS::Serverless::Function"):
        needed |= {a for s in statements(name) for a in _listed(s["Action"]) if a.startswith("sqs:")}
    assert needed <= set(queues["Action"])
    # checkov's reading of the boundary as a grant is suppressed on it alone, each with its reason.
    skipped = boundary["Metadata"]["checkov"]["skip"]
    assert {s["id"] for s in skipped} == {f"CKV_AWS_{n}" for n in range(107, 112)}
    assert all("docs/security.md" in s["comment"] for s in skipped)
    suppressed = [name for name, r in RESOURCES.items() if "checkov" in r.get("Metadata", {})]
    assert suppressed == ["FunctionsPermissionsBoundary"]
