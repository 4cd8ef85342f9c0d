"""One local stack for the e2e package, on free ports so it never clashes with a running `make local`."""

from collections.abc import Iterator

import pytest

from local.stack import LocalStack


@pytest.fixture(scope="package")  # stopped (and its environment restored) after the e2e tests
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Its own state directory: the handlers' log files hold this run's lines only (test_zz_* reads them).
    state = tmp_path_factory.mktemp("local-state")
    # recovery_seconds: a worker killed by a test leaves leases and in-flight messages behind for seconds,
    # not minutes (the API and queue functions time out within 10 s, leases 15 s, visibility timeouts 20 s).
    with LocalStack.on_free_ports(
        retry_base_seconds=1, retry_max_seconds=1, processors=2, state_dir=state, recovery_seconds=10
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy_simulators(stack: LocalStack) -> Iterator[None]:
    """Each test starts with no injected faults."""
    stack.erp.set_faults(
        latency_ms=0,
        error_rate=0.0,
        down_for_seconds=0,
        reject_orders=0,
        unknown_parts=[],
        lost_response_rate=0.0,
        answer_latency_ms=0,
    )
    stack.norce.set_faults(count=0, query_down_for_seconds=0)
    stack.set_mail_faults(throttle_rate=0.0)
    yield
