"""The benchmarks run and produce figures (tiny sizes; speed is never asserted here, see bench/)."""

import pytest

from bench import cold_start, cold_start_artifact, processor, warm
from bench.common import Figure


def positive(figures: list[Figure]) -> bool:
    return bool(figures) and all(figure.value > 0 for figure in figures)


def test_cold_start_benchmark_measures_both_imports():
    figures = cold_start.run(repetitions=1)
    assert positive(figures) and {f.name.split(",")[0] for f in figures} >= {
        "import boto3",
        "import order_receiver",
    }


def test_warm_benchmark_runs_every_case():
    figures = warm.run(scale=0.01)
    assert positive(figures) and any("3,000-line order, XML" in f.name for f in figures)


def test_processor_benchmarks_run():
    assert positive(processor.overhead(count=20))
    assert positive(processor.throughput((1, 2), orders_per_run=2, latency=0.01))


@pytest.mark.skipif(
    not (cold_start_artifact.BUILD / cold_start_artifact.FUNCTION).is_dir(),
    reason="needs `make build` (make test builds it first, through artifact-check)",
)
def test_artifact_cold_start_benchmark_runs_once():
    figures = cold_start_artifact.run(runs=1)  # ~4 s: copies the artifact, starts moto, two processes
    assert positive(figures) and any("receiver / peer" in f.name for f in figures)


def test_events_benchmark_runs():
    from bench import events  # noqa: PLC0415

    figures = events.run(scale=0.02)
    assert positive(figures) and any("warm ack" in f.name for f in figures)


def test_imports_benchmark_runs():
    from bench import imports  # noqa: PLC0415

    figures = imports.run(scale=0.002)  # ~2 s: a sink process and seven short child runs
    assert positive(figures) and any("naive" in f.name for f in figures)


def test_pipeline_benchmark_runs_against_its_ideal():
    from bench import pipeline  # noqa: PLC0415

    figures = pipeline.run((0.05,), seconds=1, minimum=12)  # ~30 s: a local stack, 12 orders
    sustained = figures[0]
    assert positive(figures) and sustained.target and "ERP calls" in sustained.note


def test_lifecycle_benchmark_runs():
    from bench import lifecycle  # noqa: PLC0415

    figures = lifecycle.run(scale=0.01)  # 20 documents each: one invoice per order, as the door allows
    assert positive(figures) and any("ERP push, warm" in f.name for f in figures)
