"""The scheduled imports (``erp_import``): the ERP export, Norce Connect, the import and job records."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from norce_integration.adapters.aws.dynamodb_imports import DynamoDbImportStore
from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords
from norce_integration.adapters.aws.dynamodb_own_writes import DynamoDbOwnWrites
from norce_integration.bootstrap.aws import aws_client
from norce_integration.bootstrap.erp import erp_for
from norce_integration.bootstrap.norce import FullFileFlag, norce_clients
from norce_integration.imports.config import ImportConfig
from norce_integration.imports.service import ImportRunner
from norce_integration.jobs.completion import JobCompletion
from norce_integration.jobs.follow import JobFollower
from norce_integration.settings import ImportSettings

if TYPE_CHECKING:
    from norce_integration.erp.ports import Erp


@dataclass
class ImportComponents:
    runner: ImportRunner
    follower: JobFollower


def import_config(settings: ImportSettings) -> ImportConfig:
    fields: dict[str, tuple[str, ...]] = {}
    if settings.customer_fields:
        fields["customer_fields"] = settings.customer_fields
    if settings.company_fields:
        fields["company_fields"] = settings.company_fields
    return ImportConfig(
        account_id=settings.norce.account_id,
        application_key=settings.application_key,
        accounts=settings.accounts,
        shrink_limit=settings.shrink_limit,
        overlap_seconds=settings.overlap_seconds,
        max_records_per_job=settings.max_records_per_job,
        **fields,
    )


def build_import(settings: ImportSettings, erp: "Erp | None" = None, norce: Any = None) -> ImportComponents:
    """AWS adapters from ``settings``; the ERP and Norce Connect over HTTP unless given (tests)."""
    dynamodb = aws_client("dynamodb")
    store = DynamoDbImportStore(dynamodb, settings.orders_table)
    jobs = DynamoDbJobRecords(dynamodb, settings.orders_table)
    if norce is None:
        flag = FullFileFlag(settings.full_file_key, settings.full_file_in)
        norce = norce_clients(settings, dynamodb, flag).connect
    runner = ImportRunner(
        erp=erp or erp_for(settings.erp, settings.secrets_cache_seconds),
        norce=norce,
        store=store,
        config=import_config(settings),
        own_writes=DynamoDbOwnWrites(dynamodb, settings.orders_table),
    )
    completion = JobCompletion(jobs, norce, full_imports=store)
    follower = JobFollower(jobs, norce, completion, lead_seconds=settings.job_lead_seconds)
    return ImportComponents(runner, follower)
