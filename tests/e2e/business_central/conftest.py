"""The local stack with Business Central as its ERP (``ErpKind`` ``business-central``) for this package's
e2e tests: the same stack as ``make local ERP=business-central``, on free ports."""

from collections.abc import Iterator

import pytest

from local.stack import LocalStack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Overrides tests/e2e's ``stack``: the generic ERP's stack is not started for these tests."""
    state = tmp_path_factory.mktemp("local-state-bc")
    with LocalStack.on_free_ports(
        erp_kind="business-central", retry_base_seconds=1, retry_max_seconds=1, processors=2, state_dir=state
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy_simulators(stack: LocalStack) -> Iterator[None]:
    """Each test starts with Business Central and Norce free of injected faults."""
    stack.erp.reset_faults()
    stack.norce.set_faults(count=0)
    yield
    stack.erp.reset_faults()
