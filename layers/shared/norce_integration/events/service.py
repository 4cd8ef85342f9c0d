"""Handling a queued Norce event: read it again, and hand it to the flow its type belongs to."""

from dataclasses import dataclass

from norce_integration.events.captures import CaptureResults
from norce_integration.events.contracts import (
    CompanyChangedNotification,
    CustomerChangedNotification,
    InvalidEvent,
    InvoiceCaptureCompletedEvent,
    JobCompletedEvent,
    parse_event,
)
from norce_integration.events.envelope import QueuedEvent
from norce_integration.events.notifications import NotificationService
from norce_integration.events.outcomes import Handled, Outcome
from norce_integration.events.sync import ChangeSync
from norce_integration.events.types import Action, action_for
from norce_integration.failures import PermanentFailure
from norce_integration.jobs.completion import JobCompletion, JobEnd


@dataclass
class EventProcessor:
    notify: frozenset[str]
    notifications: NotificationService
    changes: ChangeSync
    jobs: JobCompletion
    captures: CaptureResults

    def process(self, queued: QueuedEvent) -> Handled:
        """``TransientFailure``: retry later; ``PermanentFailure``: park with the reason."""
        try:
            event = parse_event(queued.event_type, queued.body)
        except InvalidEvent as error:  # e.g. redriven before the fix
            raise PermanentFailure(error.reason) from error
        action = action_for(queued.event_type, self.notify)
        if action is Action.NOTIFY:
            return self.notifications.handle(queued.event_type, event)
        if isinstance(event, CustomerChangedNotification | CompanyChangedNotification):
            return self.changes.handle(event, queued.received_at)
        if isinstance(event, InvoiceCaptureCompletedEvent):
            return self.captures.handle(event, queued.received_at)
        if isinstance(event, JobCompletedEvent):
            return _job_handled(self.jobs.finish(event.JobId, event.StatusId))
        return Handled(Outcome.IGNORED, f"{queued.event_type} is not acted on")


def _job_handled(end: JobEnd) -> Handled:
    """A job of another integration (Norce tells of every job) is acknowledged and counted, never alarmed."""
    if end.foreign:
        return Handled(Outcome.JOB_FOREIGN, end.detail)
    if end.failed:
        return Handled(Outcome.JOB_FAILED, end.detail)
    return Handled(Outcome.JOB_SUCCEEDED if end.finished else Outcome.JOB_RUNNING, end.detail)
