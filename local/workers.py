"""Lambda-like execution environments on loopback: every function runs in worker processes of its own.

A ``Worker`` is one execution environment: a process (``local/worker.py``) that loaded the function's
handler and runs one invocation at a time. A ``WorkerPool`` holds up to ``size`` of them per function and
hands each invocation to the first that is free, starting a new one (a cold start) while none is and the
pool is not full, the way Lambda scales out; an invocation waits while every environment is busy.

What dies with a worker is what dies with a Lambda execution environment: its memory and its invocation.
moto and the simulators live in the stack's own process, so the ledger, the queues, the ERP and Norce
survive it. A worker that dies (``kill -9``, a crash, out of memory) or runs past its function's timeout
(it is then killed, as Lambda stops a timed-out environment) fails its invocation with ``WorkerDied``, and
the pool starts a replacement. ``Workers`` is every pool of the stack; ``describe()`` is what
``GET /_local/workers`` answers.
"""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.worker import ROOT, peak_rss_kb, receive_frame, send_frame

log = logging.getLogger("local.workers")
INIT_TIMEOUT_SECONDS = 60.0  # Lambda allows 10 s; a loaded 2-core machine starting many at once needs more


class WorkerDied(Exception):
    """The environment died during the invocation (killed, crashed, or stopped at its timeout)."""


class WorkerTimedOut(WorkerDied):
    """The invocation ran past the function's timeout: the environment was stopped, as Lambda does."""


class HandlerFailed(Exception):
    """The handler raised (Lambda's function error); the environment lives on."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


class IntegrationTimedOut(Exception):
    """The caller stopped waiting (API Gateway's 29 s); the invocation goes on in its environment."""


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to become one of the function's execution environments."""

    logical_id: str
    module_file: Path
    handler: str
    timeout_seconds: float
    environment: dict[str, str]
    log_file: Path | None = None
    snap_start: bool = False  # the image primes and runs the before-snapshot hooks; each copy restores


def _fork(
    control: socket.socket, lock: threading.Lock, request: dict[str, Any], what: str
) -> tuple[int, socket.socket]:
    """Ask the process behind ``control`` to fork: the new process's pid and our end of its socket."""
    ours, theirs = socket.socketpair()
    try:
        with lock:
            socket.send_fds(control, [b"\0"], [theirs.fileno()])
            send_frame(control, request)
            answer = receive_frame(control)
    except OSError as error:
        ours.close()
        raise WorkerDied(f"{what}: the process it is forked from is gone ({error})") from None
    finally:
        theirs.close()
    if answer is None:
        ours.close()
        raise WorkerDied(f"{what}: the process it is forked from is gone")
    return int(answer["pid"]), ours


class Zygote:
    """The process every function's image is forked from (``local/worker.py``): it imported what the
    handlers need once."""

    def __init__(self, environment: dict[str, str], errors: Path | None = None) -> None:
        ours, theirs = socket.socketpair()
        self._control = ours
        self._lock = threading.Lock()
        output = errors.open("ab") if errors else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                [sys.executable, "-m", "local.worker", "--fd", str(theirs.fileno())],
                cwd=ROOT,
                env=environment,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,  # Ctrl-C in a terminal stops the stack, which stops its workers
            )
        finally:
            theirs.close()
            if not isinstance(output, int):
                output.close()
        self.init_ms: float | None = None

    def wait_ready(self, timeout: float = INIT_TIMEOUT_SECONDS) -> None:
        """Until the zygote has imported what it preloads (it starts in the background)."""
        if self.init_ms is not None:
            return
        self._control.settimeout(timeout)
        ready = receive_frame(self._control)
        if not ready or not ready.get("ready"):
            self.stop()
            raise RuntimeError("the workers' zygote did not start: see .local-state/logs/workers.txt")
        self._control.settimeout(None)
        self.init_ms = float(ready["init_ms"])

    def image(self, spec: FunctionSpec) -> "FunctionImage":
        """A new image of ``spec``: the function's init phase done once, environments forked from it."""
        request = {
            "function": spec.logical_id,
            "module": str(spec.module_file),
            "handler": spec.handler,
            "log": str(spec.log_file) if spec.log_file else None,
            "environment": spec.environment,
            "snap_start": spec.snap_start,
        }
        pid, control = _fork(self._control, self._lock, request, spec.logical_id)
        return FunctionImage(spec, pid, control)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self._control.close()  # the zygote sees the end of its socket and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class FunctionImage:
    """One function after its init phase (``Zygote.image``): its environments are forked from it."""

    def __init__(self, spec: FunctionSpec, pid: int, control: socket.socket) -> None:
        self.spec, self.pid, self._control = spec, pid, control
        self._lock = threading.Lock()
        self._ready = False

    def fork(self) -> tuple[int, socket.socket]:
        """A new execution environment: its pid and the socket to invoke it through."""
        with self._lock:
            if not self._ready:
                self._control.settimeout(INIT_TIMEOUT_SECONDS)
                try:
                    answer = receive_frame(self._control)
                except OSError:
                    answer = None
                self._control.settimeout(None)
                if not answer or not answer.get("ready"):
                    failure = (answer or {}).get("error") or "its process ended"
                    raise WorkerDied(f"{self.spec.logical_id} could not start: {failure}")
                self._ready = True
        return _fork(self._control, self._lock, {}, self.spec.logical_id)

    def stop(self) -> None:
        """The image ends (its socket closed); environments forked from it live on until theirs close."""
        self._control.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)


class Worker:
    """One execution environment: its process, and the socket invocations go through."""

    def __init__(self, spec: FunctionSpec, image: FunctionImage) -> None:
        self.spec = spec
        self.pid, self._socket = image.fork()
        self.since = datetime.now(UTC)
        self.busy_since: float | None = None
        self.invocations = 0
        self.peak_rss_kb = 0
        self.ready = False

    @property
    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)  # the zygote's children are reaped as they end: no zombie answers this
        except ProcessLookupError:
            return False
        except PermissionError:  # the pid was reused by a process not ours
            return False
        return True

    def wait_ready(self, timeout: float = INIT_TIMEOUT_SECONDS) -> None:
        """The restore: the environment forked and its after-restore hooks run. ``WorkerDied`` if not."""
        answer = self._receive(timeout)
        if not answer.get("ready"):
            self.kill()
            raise WorkerDied(f"{self.spec.logical_id} could not start: {answer.get('error')}")
        self.ready = True

    def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        """The handler's result; ``HandlerFailed`` when it raised, ``WorkerDied`` when the process died or
        ran past ``timeout`` (and was killed)."""
        self.busy_since = time.time()
        try:
            try:
                request = {"event": event, "timeout": timeout, "request_id": str(uuid.uuid4())}
                send_frame(self._socket, request)
            except OSError as error:
                raise WorkerDied(f"{self.spec.logical_id} (pid {self.pid}) is gone") from error
            answer = self._receive(timeout)
        finally:
            self.busy_since = None
            self.invocations += 1
        self.peak_rss_kb = max(self.peak_rss_kb, int(answer.get("peak_rss_kb") or 0))
        if "error" in answer:
            failure = answer["error"] or {}
            raise HandlerFailed(str(failure.get("errorType")), str(failure.get("errorMessage")))
        return answer.get("result")

    def _receive(self, timeout: float) -> dict[str, Any]:
        self._socket.settimeout(timeout)
        try:
            answer = receive_frame(self._socket)
        except TimeoutError:
            self.kill()
            raise WorkerTimedOut(
                f"{self.spec.logical_id} (pid {self.pid}) timed out after {timeout:.2f} seconds"
            ) from None
        except OSError:
            answer = None
        if answer is None:
            self.kill()
            raise WorkerDied(f"{self.spec.logical_id} (pid {self.pid}) died during the invocation")
        return answer

    def kill(self) -> None:
        """SIGKILL, as Lambda ends an environment; its socket is closed."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)
        self._socket.close()

    def describe(self) -> dict[str, Any]:
        return {
            "function": self.spec.logical_id,
            "pid": self.pid,
            "since": self.since.isoformat(timespec="milliseconds"),
            "busy": self.busy_since is not None,
            "invocations": self.invocations,
        }


@dataclass
class _Job:
    event: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)


class WorkerPool:
    """Up to ``size`` execution environments of one function; ``warm`` of them kept started (replaced at
    once when one dies)."""

    def __init__(self, spec: FunctionSpec, size: int, warm: int = 1) -> None:
        self.spec = spec
        self.size = max(1, size)
        self.warm = max(0, min(warm, self.size))
        self._zygote: Zygote | None = None
        self._image: FunctionImage | None = None
        self._lock = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._workers: list[Worker] = []
        self._idle = 0
        self._starting = 0
        self._stopped = False
        self.died = 0  # environments that died or timed out during an invocation (or while idle)
        self.started = 0
        self.peak_rss_kb = 0  # of every environment this pool ran

    def start(self, zygote: Zygote) -> "WorkerPool":
        """The function's image (its init phase runs in the background); ``warm_up`` starts environments."""
        with self._lock:
            self._zygote = zygote
            self._image = zygote.image(self.spec)
        return self

    def warm_up(self) -> None:
        with self._lock:
            for _ in range(self.warm - len(self._workers)):
                self._spawn()

    def wait_warm(self, timeout: float) -> bool:
        """True once ``warm`` environments are ready (their init done), False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self.workers()) < self.warm:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def submit(self, event: dict[str, Any]) -> "Future[Any]":
        """Run ``event`` in the first free environment; the future holds the result or the failure."""
        job = _Job(event)
        with self._lock:
            if self._stopped:
                job.future.set_exception(WorkerDied(f"{self.spec.logical_id}: the stack is stopping"))
                return job.future
            self._jobs.append(job)
            waiting = len(self._jobs) - self._idle - self._starting
            if waiting > 0 and len(self._workers) < self.size:
                self._spawn()
            self._lock.notify()
        return job.future

    def invoke(self, event: dict[str, Any], wait: float | None = None) -> Any:
        """``submit`` and wait for the result (``IntegrationTimedOut`` after ``wait`` seconds)."""
        future = self.submit(event)
        try:
            return future.result(timeout=wait)
        except TimeoutError:
            raise IntegrationTimedOut(f"{self.spec.logical_id} did not answer within {wait} s") from None

    def workers(self) -> list[Worker]:
        with self._lock:
            return [worker for worker in self._workers if worker.ready and worker.alive]

    def recycle(self, environment: dict[str, str | None] | None = None) -> None:
        """Every environment ended and new ones started (with ``environment``'s variables set, or removed
        where None): a configuration change, as Lambda makes after an update of the function."""
        with self._lock:
            if environment:
                changed = {**self.spec.environment, **environment}
                kept = {name: value for name, value in changed.items() if value is not None}
                self.spec = replace(self.spec, environment=kept)
            workers, self._workers = list(self._workers), []
            self._lock.notify_all()
            if self._zygote is not None and self._image is not None:
                self._image.stop()
                self._image = self._zygote.image(self.spec)
        for worker in workers:
            worker.kill()
        self.warm_up()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            jobs, self._jobs = list(self._jobs), deque()
            workers, self._workers = list(self._workers), []
            self._lock.notify_all()
            if self._image is not None:
                self._image.stop()
        for job in jobs:
            job.future.set_exception(WorkerDied(f"{self.spec.logical_id}: the stack is stopping"))
        for worker in workers:
            worker.kill()

    # -- under the lock
    def _spawn(self) -> None:
        if self._zygote is None or self._image is None:
            raise RuntimeError(f"{self.spec.logical_id}: the pool was not started")
        try:
            worker = Worker(self.spec, self._image)
        except WorkerDied:  # the image died (killed, or it could not init): one new image, one more try
            self._image.stop()
            self._image = self._zygote.image(self.spec)
            try:
                worker = Worker(self.spec, self._image)
            except WorkerDied as error:
                log.error("%s", error)
                self._fail_waiting_if_none_left(error)
                return
        self._workers.append(worker)
        self._starting += 1
        self.started += 1
        threading.Thread(target=self._serve, args=(worker,), name=f"worker:{worker.pid}", daemon=True).start()

    def _forget(self, worker: Worker, died: bool, respawn: bool = True) -> None:
        """Drop a dead environment; start replacements for the warm ones and for waiting invocations."""
        if worker in self._workers:
            self._workers.remove(worker)
            self.died += died
        self.peak_rss_kb = max(self.peak_rss_kb, worker.peak_rss_kb)
        if self._stopped or not respawn:
            return
        missing = max(self.warm - len(self._workers), 0)
        waiting = len(self._jobs) - self._idle - self._starting
        for _ in range(max(missing, min(waiting, self.size - len(self._workers)))):
            self._spawn()

    # -- one thread per environment
    def _serve(self, worker: Worker) -> None:
        try:
            worker.wait_ready()
        except WorkerDied as error:
            log.error("%s", error)
            with self._lock:
                self._starting -= 1
                self._forget(worker, died=False, respawn=False)  # no loop of failing starts: on demand
                self._fail_waiting_if_none_left(error)
            return
        with self._lock:
            self._starting -= 1
        while True:
            with self._lock:
                self._idle += 1
                while not self._jobs and worker in self._workers and worker.alive:
                    self._lock.wait(0.5)
                self._idle -= 1
                if worker not in self._workers:  # recycled or stopped
                    return
                if not worker.alive:  # killed while idle: no invocation lost; replaced
                    worker.kill()
                    self._forget(worker, died=True)
                    return
                job = self._jobs.popleft()
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                result = worker.invoke(job.event, self.spec.timeout_seconds)
            except WorkerDied as error:
                job.future.set_exception(error)
                with self._lock:
                    self._forget(worker, died=True)
                return
            except HandlerFailed as error:
                job.future.set_exception(error)
            except Exception as error:  # noqa: BLE001 - a broken answer: end this environment
                job.future.set_exception(WorkerDied(f"{self.spec.logical_id}: {error}"))
                worker.kill()
                with self._lock:
                    self._forget(worker, died=True)
                return
            else:
                job.future.set_result(result)
            with self._lock:
                self.peak_rss_kb = max(self.peak_rss_kb, worker.peak_rss_kb)

    def _fail_waiting_if_none_left(self, error: Exception) -> None:
        """A function that cannot start at all fails its invocations instead of leaving them waiting."""
        if self._workers or self._starting:
            return
        while self._jobs:
            self._jobs.popleft().future.set_exception(WorkerDied(str(error)))


class Workers:
    """Every function's pool, and the zygote they fork from; ``describe()`` lists the live environments for
    ``GET /_local/workers``."""

    def __init__(self) -> None:
        self.pools: dict[str, WorkerPool] = {}
        self.zygote: Zygote | None = None

    def add(self, pool: WorkerPool) -> WorkerPool:
        self.pools[pool.spec.logical_id] = pool
        return pool

    def __getitem__(self, logical_id: str) -> WorkerPool:
        return self.pools[logical_id]

    def prepare(self, environment: dict[str, str], errors: Path | None = None) -> None:
        """Start the zygote (with ``environment``) in the background: it has a second of imports to do."""
        self.zygote = Zygote(environment, errors)

    def start(self, timeout: float = 60.0) -> None:
        """Every pool's warm environments, ready (after ``prepare``)."""
        if self.zygote is None:
            raise RuntimeError("Workers.prepare() first")
        self.zygote.wait_ready()
        for pool in self.pools.values():  # every image runs its init at once
            pool.start(self.zygote)
        for pool in self.pools.values():
            pool.warm_up()
        for pool in self.pools.values():
            if not pool.wait_warm(timeout):
                log.warning("%s: its environments are still starting", pool.spec.logical_id)

    def stop(self) -> None:
        for pool in self.pools.values():
            pool.stop()
        if self.zygote is not None:
            self.zygote.stop()

    def live(self) -> list[Worker]:
        return [worker for pool in self.pools.values() for worker in pool.workers()]

    def describe(self) -> list[dict[str, Any]]:
        return [worker.describe() for worker in self.live()]

    def kill(self, pid: int) -> None:
        """SIGKILL one worker of this stack (refuses any other process)."""
        if pid not in {worker.pid for worker in self.live()}:
            raise KeyError(f"no live worker has pid {pid}")
        os.kill(pid, signal.SIGKILL)

    def peak_rss_kb(self) -> dict[str, int]:
        """Peak RSS per function (of every environment it ran) and of this process (the stack)."""
        peaks = {name: pool.peak_rss_kb for name, pool in self.pools.items()}
        for worker in self.live():
            peaks[worker.spec.logical_id] = max(peaks[worker.spec.logical_id], vm_hwm_kb(worker.pid))
        peaks["stack"] = peak_rss_kb()
        if self.zygote is not None:
            peaks["zygote"] = vm_hwm_kb(self.zygote.pid)
        return peaks

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds of the live workers per function, of the zygote and of this process (the stack)."""
        spent: dict[str, float] = {}
        for worker in self.live():
            spent[worker.spec.logical_id] = spent.get(worker.spec.logical_id, 0.0) + cpu_seconds(worker.pid)
        if self.zygote is not None:
            spent["zygote"] = cpu_seconds(self.zygote.pid)
        spent["stack"] = cpu_seconds(os.getpid())
        return spent

    def deaths(self) -> dict[str, int]:
        return {name: pool.died for name, pool in self.pools.items() if pool.died}


def cpu_seconds(pid: int) -> float:
    """A live process's CPU time so far, user + system (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def vm_hwm_kb(pid: int) -> int:
    """A live process's peak RSS (Linux ``/proc``; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0
