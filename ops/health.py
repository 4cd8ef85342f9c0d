"""``health``: can the integration reach the ERP and Norce with its secrets, do its queues drain, did any
alarm fire. Each check is ``ok`` True (fine), False (wrong: the exit code is 1) or None (not checked)."""

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from ops.queues import depth, oldest
from ops.target import Target, erp_targets

HTTP_TIMEOUT = (5, 15)
AWS_ERRORS = (ClientError, BotoCoreError)
SECRET_ERRORS = (*AWS_ERRORS, KeyError, ValueError)


@dataclass
class Check:
    name: str
    ok: bool | None
    detail: str
    value: float | int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_secret(target: Target, secret_id: str) -> dict[str, Any]:
    text = target.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("the secret is not a JSON object")
    return value


def check_erp(target: Target) -> list[Check]:
    """``GET {base}/orders?externalRef=…`` with the API key (the look-up the processor makes first); for
    Business Central (``ERP_KIND``), its token and company."""
    if target.settings.get("ERP_KIND") == "business-central":
        return [check_business_central(target)]
    targets = erp_targets(target.settings)
    if not targets:
        return [Check("erp", None, "no ERP configuration readable (lambda:GetFunctionConfiguration?)")]
    checks = []
    for name, (base_url, secret_id) in targets.items():
        label = "erp" if name == "default" else f"erp:{name}"
        try:
            key = str(read_secret(target, secret_id)["apiKey"])
        except SECRET_ERRORS as error:  # unreadable, not JSON, no apiKey: the secret is the problem
            checks.append(Check(label, False, f"cannot read the ERP API key ({secret_id}): {error}"))
            continue
        url = f"{base_url.rstrip('/')}/orders"
        started = time.monotonic()
        try:
            answer = requests.get(
                url,
                params={"externalRef": "norce-ops-health-check"},
                headers={"X-Api-Key": key, "Accept": "application/json"},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException as error:
            checks.append(Check(label, False, f"{base_url} unreachable: {type(error).__name__}"))
            continue
        millis = round((time.monotonic() - started) * 1000)
        if answer.status_code in (401, 403):
            checks.append(
                Check(label, False, f"{base_url} refuses the API key ({answer.status_code})", millis)
            )
        elif answer.status_code >= 500 or answer.status_code == 429:
            checks.append(Check(label, False, f"{base_url} answered {answer.status_code}", millis))
        else:
            checks.append(
                Check(label, True, f"{base_url} answered {answer.status_code} in {millis} ms", millis)
            )
    return checks


def check_business_central(target: Target) -> Check:
    """A token from Microsoft Entra ID with the app's secret, then ``GET companies({id})``: what every call
    of the adapter needs (the app registered in BC, its permissions, the company's id)."""
    settings = target.settings
    try:
        secret = str(read_secret(target, settings["BC_CLIENT_SECRET_ARN"])["clientSecret"])
        tenant, environment = settings["BC_TENANT_ID"], settings["BC_ENVIRONMENT"]
        company, client = settings["BC_COMPANY_ID"], settings["BC_CLIENT_ID"]
    except SECRET_ERRORS as error:
        return Check("erp", False, f"cannot read the Business Central settings or secret: {error}")
    login = settings.get("BC_LOGIN_URL") or "https://login.microsoftonline.com"
    api = settings.get("BC_API_URL") or "https://api.businesscentral.dynamics.com"
    started = time.monotonic()
    try:
        token = requests.post(
            f"{login.rstrip('/')}/{tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client,
                "client_secret": secret,
                "scope": "https://api.businesscentral.dynamics.com/.default",
            },
            timeout=HTTP_TIMEOUT,
        )
        if token.status_code != 200:
            return Check(
                "erp", False, f"Microsoft Entra ID refuses the app ({token.status_code}: {token.text[:200]})"
            )
        url = f"{api.rstrip('/')}/v2.0/{tenant}/{environment}/api/v2.0/companies({company})"
        answer = requests.get(
            url, headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=HTTP_TIMEOUT
        )
    except requests.RequestException as error:
        return Check("erp", False, f"Business Central unreachable: {type(error).__name__}")
    millis = round((time.monotonic() - started) * 1000)
    if answer.status_code != 200:
        return Check(
            "erp", False, f"Business Central answered {answer.status_code} for company {company}", millis
        )
    return Check("erp", True, f"Business Central company {answer.json().get('name')} in {millis} ms", millis)


def check_norce(target: Target) -> Check:
    """A token request to Norce's identity server (OAuth2 client credentials), or, with legacy Basic auth,
    a Connect call. The token endpoint allows 3 requests a minute (burst 20): one per health run."""
    settings = target.settings
    secret_id = settings.get("NORCE_CREDENTIALS_SECRET_ARN")
    if not secret_id:
        return Check("norce", None, "no Norce configuration readable (lambda:GetFunctionConfiguration?)")
    try:
        secret = read_secret(target, secret_id)
    except SECRET_ERRORS as error:
        return Check("norce", False, f"cannot read the Norce Connect secret: {error}")
    started = time.monotonic()
    try:
        if settings.get("NORCE_AUTH_MODE", "oauth") == "basic":
            url = f"{settings.get('NORCE_CONNECT_URL', '').rstrip('/')}/Job/Get"
            answer = requests.get(
                url,
                params={"id": 0},
                auth=(str(secret.get("application_id")), str(secret.get("secret_key"))),
                timeout=HTTP_TIMEOUT,
            )
        else:
            url = settings.get("NORCE_IDENTITY_URL", "")
            answer = requests.post(
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": str(secret.get("client_id")),
                    "client_secret": str(secret.get("client_secret")),
                    "scope": settings.get("NORCE_SCOPE", "playground"),
                },
                timeout=HTTP_TIMEOUT,
            )
    except requests.RequestException as error:
        return Check("norce", False, f"Norce unreachable: {type(error).__name__}")
    millis = round((time.monotonic() - started) * 1000)
    if answer.status_code in (400, 401, 403):
        return Check("norce", False, f"{url} refuses the credentials ({answer.status_code})", millis)
    if answer.status_code == 429:
        return Check("norce", True, f"{url} reachable, but rate-limited (429) just now", millis)
    if answer.status_code >= 500:
        return Check("norce", False, f"{url} answered {answer.status_code}", millis)
    return Check("norce", True, f"{url} answered {answer.status_code} in {millis} ms", millis)


def queue_age_from_cloudwatch(target: Target, url: str) -> float | None:
    """``ApproximateAgeOfOldestMessage`` of the last 5 minutes (includes messages hidden for a retry)."""
    now = datetime.now(UTC)
    try:
        points = target.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": url.rsplit("/", 1)[-1]}],
            StartTime=now - timedelta(minutes=5),
            EndTime=now,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    except AWS_ERRORS:  # no cloudwatch:GetMetricStatistics: the peek alone decides
        return None
    return max((float(p["Maximum"]) for p in points), default=None)


def check_queues(target: Target, max_depth: int, max_age: float) -> list[Check]:
    sqs = target.client("sqs")
    checks = []
    now = time.time()
    for name, url in target.sources.items():
        counts = depth(sqs, url)
        if target.local:  # no CloudWatch: peek (a receive counts as a delivery; harmless on the local stack)
            seen = oldest(sqs, url, name) if counts["visible"] else None
            age = now - seen.sent_at if seen and seen.sent_at else None
        else:  # never receive from a consumed queue in AWS: a health check run every minute would add
            age = queue_age_from_cloudwatch(target, url)  # deliveries and push messages to the DLQ early
        detail = f"{counts['visible']} waiting, {counts['in_flight']} in flight"
        detail += f", oldest {age:.0f} s" if age is not None else ""
        wrong = counts["visible"] > max_depth or (age is not None and age > max_age)
        checks.append(Check(f"queue:{name}", not wrong, detail, counts["visible"]))
    for name, url in target.dlqs.items():
        counts = depth(sqs, url)
        parked = counts["visible"] + counts["in_flight"]
        detail = "empty" if not parked else f"{parked} parked message(s): `norce-ops dlq`, then redrive"
        checks.append(Check(f"dlq:{name}", parked == 0, detail, parked))
    return checks


def check_alarms(target: Target) -> list[Check]:
    if target.local:
        return [Check("alarms", None, "skipped: the local stack has no CloudWatch alarms")]
    if not target.alarms:
        return [Check("alarms", None, "the stack lists no alarms")]
    cloudwatch = target.client("cloudwatch")
    firing = []
    try:
        for start in range(0, len(target.alarms), 100):
            answer = cloudwatch.describe_alarms(
                AlarmNames=target.alarms[start : start + 100], StateValue="ALARM"
            )
            firing += [
                a["AlarmName"] for a in answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])
            ]
    except AWS_ERRORS as error:  # no cloudwatch:DescribeAlarms
        return [Check("alarms", None, f"cannot read the alarms: {error}")]
    if firing:
        return [Check("alarms", False, f"in ALARM: {', '.join(sorted(firing))}", len(firing))]
    return [Check("alarms", True, f"none of {len(target.alarms)} alarms is in ALARM", 0)]


def run_checks(target: Target, max_depth: int = 1000, max_age: float = 900) -> list[Check]:
    return [
        *check_erp(target),
        check_norce(target),
        *check_queues(target, max_depth, max_age),
        *check_alarms(target),
    ]
