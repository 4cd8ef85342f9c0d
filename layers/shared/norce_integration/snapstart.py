"""Lambda SnapStart: work moved into the init phase (priming), and runtime hooks for what a snapshot must not
share between the copies restored from it.

With SnapStart, Lambda runs the init phase once per published version, snapshots the process and restores
copies of it for new execution environments. What the init phase builds is then free on the caller's path:
the handlers ``prime`` their clients, their secret and their own code paths there. Priming runs only in a
SnapStart init (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``) or when ``PRIME_ON_INIT`` is truthy (the
bench, or a deployment without SnapStart that prefers a longer init to a longer first request); otherwise
the handlers build everything on their first request, as before.

Every copy of a snapshot starts with the same memory, so after a restore each copy must renew what has to
be its own (docs/performance.md, "SnapStart"):

- the state of ``random``: ``reseed`` (registered here, for every handler that imports this module);
  ``uuid4`` and ``secrets`` read the OS's entropy on each call and need nothing;
- pooled connections: a connection opened during init would be the same socket in every copy, so the
  handlers ``close_pools`` of the boto3 clients and ``requests`` sessions they built (found by ``pooled``)
  before the snapshot and again after each restore; each copy opens its own on its next call;
- credentials: nothing here caches AWS credentials (botocore's provider refreshes them; under SnapStart Lambda
  serves them through the container credentials endpoint); the secrets read during init are the same for
  every copy, and their cache expires by the clock (``SECRETS_CACHE_SECONDS``), so a copy restored long
  after the snapshot reads them again.

The hooks go to ``snapshot_restore_py``, which the Lambda Python runtime (3.12+) provides; elsewhere they are
only kept in ``AFTER_RESTORE``/``BEFORE_SNAPSHOT`` (``run_after_restore`` runs them: tests, the bench).

``rehearse`` runs a boto3 call through botocore with the network cut out (answered in-process), so that the
first real call of each operation finds botocore's per-operation work done; nothing is sent.
"""

import functools
import logging
import os
import random
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
PRIME_ON_INIT = "PRIME_ON_INIT"
_TRUTHY = frozenset({"1", "true", "t", "yes", "y", "on"})

REHEARSAL = "snapstart-rehearsal"  # the table, bucket and queue name ``rehearse`` calls use: none is real

Hook = Callable[[], object]
# The AWS calls a request makes, per service: ``(boto3 operation, params)``; each adapter names its own.
Rehearsals = Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]]
AFTER_RESTORE: list[Hook] = []
BEFORE_SNAPSHOT: list[Hook] = []

logger = logging.getLogger(__name__)


def priming_enabled() -> bool:
    """True in a SnapStart init, or when ``PRIME_ON_INIT`` is truthy (default: off)."""
    if os.environ.get(INITIALIZATION_TYPE) == SNAP_START:
        return True
    return os.environ.get(PRIME_ON_INIT, "").strip().lower() in _TRUTHY


def _name(step: Callable[..., object]) -> str:
    return str(getattr(step, "__qualname__", None) or getattr(step, "__name__", None) or type(step).__name__)


def prime(*steps: Hook) -> None:
    """Run each step when ``priming_enabled()``. A step that fails is logged (its name and the error's type:
    no message, which could hold a secret or a customer's data) and skipped; the init goes on, and the first
    request builds what the step would have."""
    if not priming_enabled():
        return
    for step in steps:
        try:
            step()
        except Exception as error:  # noqa: BLE001 - priming is an optimisation: never fail the init
            logger.warning(
                "SnapStart priming step %s failed (%s); the first request does it instead",
                _name(step),
                type(error).__name__,
            )


def _runtime_hooks() -> Any:
    """``snapshot_restore_py`` of the Lambda runtime, or None outside Lambda."""
    try:
        import snapshot_restore_py  # noqa: PLC0415 - the Lambda runtime provides it
    except ImportError:
        return None
    return snapshot_restore_py


def after_restore[H: Hook](hook: H) -> H:
    """Run ``hook`` after each restore from a snapshot (in the order registered). Usable as a decorator."""
    AFTER_RESTORE.append(hook)
    runtime = _runtime_hooks()
    if runtime is not None:
        runtime.register_after_restore(hook)
    return hook


def before_snapshot[H: Hook](hook: H) -> H:
    """Run ``hook`` before Lambda takes the snapshot (Lambda runs these in reverse order of registration)."""
    BEFORE_SNAPSHOT.append(hook)
    runtime = _runtime_hooks()
    if runtime is not None:
        runtime.register_before_snapshot(hook)
    return hook


def run_after_restore() -> None:
    """Run the after-restore hooks as Lambda would (tests and the bench: there is no runtime to do it)."""
    for hook in list(AFTER_RESTORE):
        hook()


def run_before_snapshot() -> None:
    for hook in reversed(BEFORE_SNAPSHOT):
        hook()


def reseed() -> None:
    """A new seed for ``random`` from the OS's entropy: copies of one snapshot must not draw alike."""
    random.seed()


def _session_types() -> tuple[type, ...]:
    """botocore's client and requests' session types, if imported (never imported here for that)."""
    found: list[type] = []
    client_module = sys.modules.get("botocore.client")
    if client_module is not None:
        found.append(client_module.BaseClient)
    requests_module = sys.modules.get("requests")
    if requests_module is not None:
        found.append(requests_module.Session)
    return tuple(found)


_LEAVES = (str, bytes, bytearray, int, float, complex, bool, type(None), type, types.ModuleType)


def _children(item: object) -> list[object]:
    """What ``item`` holds: container items, a bound method's object, a function's closure, an object's
    attributes and slots."""
    if isinstance(item, dict):
        return list(item.values())
    if isinstance(item, list | tuple | set | frozenset):
        return list(item)
    if isinstance(item, types.MethodType):
        return [item.__func__, item.__self__]
    if isinstance(item, types.FunctionType):
        held: list[object] = []
        for cell in item.__closure__ or ():
            try:
                held.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        return held
    if isinstance(item, functools.partial):
        return [item.func, *item.args, *item.keywords.values()]
    held = list(vars(item).values()) if hasattr(item, "__dict__") else []
    for cls in type(item).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__") and hasattr(item, slot):
                held.append(getattr(item, slot))
    return held


def pooled(*roots: object, depth: int = 6) -> list[Any]:
    """The boto3 (botocore) clients and ``requests`` sessions reachable from ``roots`` through attributes,
    slots, containers and closures, at most ``depth`` steps away, each once: what ``close_pools`` closes
    for the components a handler built in its init phase (which keep their clients private)."""
    kinds = _session_types()
    if not kinds:
        return []
    found: list[Any] = []
    seen: set[int] = set()
    level = list(roots)
    for _ in range(depth + 1):
        following: list[object] = []
        for item in level:
            if id(item) in seen or isinstance(item, _LEAVES):
                continue
            seen.add(id(item))
            if isinstance(item, kinds):
                found.append(item)
            else:
                following += _children(item)
        level = following
    return found


def close_pools(*clients: object) -> None:
    """Close the pooled connections of boto3 clients (``client.close()``, botocore 1.29+) and ``requests``
    sessions (``Session.close()``). Both stay usable: the next call opens a connection of its own."""
    for client in clients:
        close = getattr(client, "close", None)
        if close is None:
            continue
        try:
            close()
        except Exception as error:  # noqa: BLE001 - a pool that cannot close is left to time out
            logger.warning(
                "Closing %s's connections failed (%s)", type(client).__name__, type(error).__name__
            )


class _Body:
    """The raw stream of a canned answer (what ``AWSResponse.content`` reads)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def fresh_connections_for(*builders: Any) -> Hook:
    """Close the pooled connections of what the ``@cache``d ``builders`` built, before the snapshot (none is
    saved in it) and after each restore (each copy opens its own on its first call); builders not called
    yet are left alone. Returns the hook (registered both ways)."""

    def close() -> None:
        built = [builder() for builder in builders if builder.cache_info().currsize]
        close_pools(*pooled(*built))

    before_snapshot(close)
    after_restore(close)
    return close


def rehearsal_queue_url(queue_url: str) -> str:
    """``queue_url`` with the queue's name replaced by ``REHEARSAL`` (same endpoint, a queue that is not
    ours; ``.fifo`` kept, so FIFO parameters stay valid)."""
    base, _, name = queue_url.rpartition("/")
    return f"{base}/{REHEARSAL}{'.fifo' if name.endswith('.fifo') else ''}"


def service_of(client: Any) -> str:
    return str(client.meta.service_model.service_name)


def rehearse(client: Any, operation: str, **params: Any) -> None:
    """One call of ``operation`` (a boto3 method name) on a boto3 client with the network cut out: the first
    ``before-send`` handler answers it with an empty 200, so botocore builds, signs and reads the request and
    its answer (and caches what that operation needs on first use), and nothing leaves the process. Name no
    real resource in ``params``: were the answer ever not intercepted, the call fails (the function's IAM
    policy names its own resources only) instead of writing anything."""
    from botocore.awsrequest import AWSResponse  # noqa: PLC0415 - botocore is loaded by then
    from botocore.compat import HTTPHeaders  # noqa: PLC0415

    body = b"{}" if client.meta.service_model.protocol in ("json", "rest-json") else b""

    def answer(request: Any, **_: Any) -> Any:
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(body))

    unique_id = f"snapstart-rehearsal-{id(answer)}"
    client.meta.events.register_first("before-send", answer, unique_id=unique_id)
    try:
        getattr(client, operation)(**params)
    finally:
        client.meta.events.unregister("before-send", answer, unique_id=unique_id)


def merged(*parts: Rehearsals) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """The adapters' ``rehearsals()`` of one request path, as one ``Rehearsals``."""
    calls: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for part in parts:
        for service, operations in part.items():
            calls.setdefault(service, []).extend(operations)
    return calls


def rehearse_calls(rehearsals: Rehearsals, *roots: object) -> int:
    """``rehearse`` each ``(operation, params)`` of ``rehearsals[service]`` on each boto3 client reachable
    from ``roots`` (``pooled``); a call that fails is logged (its name and error type) and the rest go on.
    Returns how many calls were rehearsed."""
    done = 0
    for client in pooled(*roots):
        if not hasattr(client, "meta"):
            continue
        for operation, params in rehearsals.get(service_of(client), ()):
            try:
                rehearse(client, operation, **params)
                done += 1
            except Exception as error:  # noqa: BLE001 - an optimisation: the first request does it instead
                logger.warning(
                    "SnapStart rehearsal of %s.%s failed (%s)",
                    service_of(client),
                    operation,
                    type(error).__name__,
                )
    return done


after_restore(reseed)
