"""Order intake (``order_receiver``): the ledger, the archive and the queue on AWS, Basic auth, and the
SnapStart priming of the request path."""

from collections.abc import Callable

from norce_integration.api.basic_auth import BasicAuthenticator
from norce_integration.intake.service import IntakeSettings, OrderIntake
from norce_integration.settings import ReceiverSettings
from norce_integration.snapstart import Hook, merged, rehearse_calls

# The AWS adapters (boto3, botocore) are imported on first use, not with the handler: cold start.

# The built-in order the init phase rehearses (in-memory ports: nothing is stored or sent).
REHEARSAL_ORDER = (
    b'{"ClientOrderRef":"SNAPSTART-REHEARSAL","CurrencyCode":"SEK","SellTo":{"Person":{"FirstName":"Init",'
    b'"LastName":"Phase","Address":{"Line1":"1 Init Street","ZipCode":"12345","City":"Init",'
    b'"Country":"SE"}}},'
    b'"Items":[{"LineNo":1,"PartNo":"REHEARSAL","Description":"Rehearsal","Quantity":1,"UnitPrice":100.0,'
    b'"UnitVat":25.0,"VatRate":25.0}]}'
)
# XML in no namespace and in the one Norce's .NET serializer writes: each compiles its lines' schema once.
REHEARSAL_XML_NAMESPACES = (None, "Enferno.Services.StormConnect.Contracts.Order")


def build_order_intake(settings: ReceiverSettings) -> OrderIntake:
    from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger  # noqa: PLC0415
    from norce_integration.adapters.aws.s3_archive import S3Archive  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_queue import SqsOrderQueue  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415

    return OrderIntake(
        ledger=DynamoDbLedger(aws_client("dynamodb"), settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        queue=SqsOrderQueue(aws_client("sqs"), settings.orders_queue_url),
        settings=IntakeSettings(
            lease_seconds=settings.lease_seconds,
            record_ttl_days=settings.record_ttl_days,
            busy_wait_seconds=settings.busy_wait_seconds,
            allowed_currencies=settings.allowed_currencies,
        ),
    )


def build_authenticator(settings: ReceiverSettings) -> BasicAuthenticator:
    """Credentials from Secrets Manager through Powertools Parameters, cached ``SECRETS_CACHE_SECONDS``."""
    from norce_integration.bootstrap.auth import basic_authenticator  # noqa: PLC0415

    return basic_authenticator(settings.credentials_secret_arn, settings.secrets_cache_seconds)


def priming(
    settings: Callable[[], ReceiverSettings],
    intake: Callable[[], OrderIntake],
    authenticator: Callable[[], BasicAuthenticator],
) -> tuple[Hook, ...]:
    """The init phase's steps (``snapstart.prime``): build the clients, read the credentials secret, then
    parse, validate, fingerprint and answer the built-in order in both wire formats through in-memory
    ports (this imports lxml and compiles the XML lines' schema), and rehearse the intake's AWS calls."""

    def read_credentials() -> None:
        authenticator().is_authorized(None)  # reads the credentials secret into its cache; answers False

    def rehearse_request() -> None:
        from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue  # noqa: PLC0415
        from norce_integration.codec import WireFormat  # noqa: PLC0415
        from norce_integration.codec.responses import render_error, render_order_response  # noqa: PLC0415
        from norce_integration.codec.xml_codec import to_xml_bytes  # noqa: PLC0415
        from norce_integration.contracts import OrderRequest  # noqa: PLC0415

        rehearsal = OrderIntake(
            InMemoryLedger(), InMemoryArchive(), InMemoryQueue(), settings=intake().settings
        )
        order = OrderRequest.model_validate_json(REHEARSAL_ORDER)
        bodies = [(WireFormat.JSON, REHEARSAL_ORDER)] + [
            (WireFormat.XML, to_xml_bytes(order, namespace)) for namespace in REHEARSAL_XML_NAMESPACES
        ]
        for wire_format, body in bodies:
            result = rehearsal.receive(body, wire_format)
            if result.response is not None:
                render_order_response(result.response, wire_format, result.namespace)
            render_error("Temporarily unavailable, retry later", wire_format)

    def rehearse_aws_calls() -> None:
        from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger  # noqa: PLC0415
        from norce_integration.adapters.aws.s3_archive import S3Archive  # noqa: PLC0415
        from norce_integration.adapters.aws.sqs_queue import SqsOrderQueue  # noqa: PLC0415

        calls = merged(
            DynamoDbLedger.rehearsals(),
            S3Archive.rehearsals(),
            SqsOrderQueue.rehearsals(settings().orders_queue_url),
        )
        rehearse_calls(calls, intake())

    return (settings, intake, authenticator, read_credentials, rehearse_request, rehearse_aws_calls)
