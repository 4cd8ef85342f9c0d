"""The benchmarks run and produce figures (tiny sizes; speed is never asserted here, see bench/)."""

from bench import cold_start, processor, warm
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
