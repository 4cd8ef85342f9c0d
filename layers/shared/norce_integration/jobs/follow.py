"""Following import jobs to their end by polling ``Job/Get`` (JobCompletedEvent does the same when Norce
Event is set up; whichever comes first completes the job, the other finds it done)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.failures import TransientFailure
from norce_integration.jobs.completion import JobCompletion
from norce_integration.jobs.ports import JobReader, JobRecords
from norce_integration.norce.ports import NorceError


@dataclass
class FollowReport:
    succeeded: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)  # still running past the lead time
    running: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)  # Job/Get failed: asked again next time


@dataclass
class JobFollower:
    jobs: JobRecords
    norce: JobReader
    completion: JobCompletion
    lead_seconds: float = 3600.0
    clock: Callable[[], float] = field(default=time.time)

    def follow(self) -> FollowReport:
        report = FollowReport()
        now = self.clock()
        for job_id, started_at in sorted(self.jobs.open_jobs().items()):
            try:
                job = self.norce.get_job(job_id)
            except NorceError:
                report.unreadable.append(job_id)
                continue
            if job.succeeded or job.failed:
                try:
                    end = self.completion.finish(job_id, job.StatusId or 0, job)
                except TransientFailure:  # Job/GetLog or Job/Get unavailable: asked again next time
                    report.unreadable.append(job_id)
                    continue
                (report.failed if end.failed else report.succeeded).append(job_id)
            elif now - started_at > self.lead_seconds:
                report.late.append(job_id)
            else:
                report.running.append(job_id)
        return report
