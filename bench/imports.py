"""Scheduled customer import, streamed: customers from a generator at the ERP port, checked, mapped,
serialised and POSTed chunked over loopback HTTP (``HttpNorceConnect.import_stream``, requests) to a sink
that only counts the bytes; beside a naive run of the same customers (list of dicts, ``json.dumps``, one
``requests.post``) to the same sink.

Each (variant, size) runs in a fresh child process, so its ``ru_maxrss`` is that run's peak RSS (the
interpreter and its imports included: what a Lambda would hold); only the run is timed, not the imports.
Each is run twice (the naive 1 M once) and the best time kept, as the machine may be shared. The ``warm``
variant runs 20 small deltas in one process, as a warm environment runs the scheduled ones: its peak RSS is
set beside one run's.
The sink is its own process (the machine's other core). The generator stands in for an ERP adapter that
hands the port ready objects (``model_construct``, no validation); ``gen`` runs only exhaust it, so its
cost can be told from ours. One more run uses ``model_validate`` per customer, as the REST adapter does.

One module on purpose (over 400 lines): the child process, the sink and the report share one set of
variants and must be read together to trust a figure.

``python -m bench.imports`` prints the figures; ``python -m bench.imports --profile [N]`` profiles our
pipeline in-process on N customers (default 200,000).
"""

import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import ROOT, Figure

# Norce's answer to an import (a JobResponse: JobId is a string)
JOB_RESPONSE = b'{"StatusCode":"OK","Description":"queued","JobId":"5001","ValidationSummary":null}'

SIZES = (10_000, 1_000_000)
VALIDATED = 200_000  # the model_validate run: slower, so a smaller size
WARM = 1_000  # customers in each of the warm environment's deltas (the soak's are smaller still)
WARM_RUNS = 20
CONNECT_PATH = "/commerce/connect/4.0/"
FIRST = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Åsa", "Mikael")
LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson")
CITIES = (("111 22", "Stockholm"), ("411 03", "Göteborg"), ("211 20", "Malmö"), ("753 10", "Uppsala"))
PRICE_LISTS = (["SEK-RETAIL"], ["SEK-RETAIL", "SEK-MEMBER"], ["SEK-B2B"])
CHANGED = [datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=m) for m in range(1000)]


# --- the sink: HTTP/1.1 on loopback, counts the request body's bytes and forgets them -------------------


class _Reader:
    """Bytes from a socket through one preallocated buffer (``recv_into``): lines for the framing, and
    a fast skip for the body."""

    def __init__(self, sock: socket.socket, size: int = 1 << 20) -> None:
        self.sock = sock
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.start = self.end = 0
        self.last = -1  # the body's last byte seen

    def _fill(self) -> None:
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.buf):  # a partial line at the end: move it to the front
            kept = self.end - self.start
            self.buf[:kept] = self.buf[self.start : self.end]
            self.start, self.end = 0, kept
        got = self.sock.recv_into(self.view[self.end :])
        if not got:
            raise EOFError("the client closed the connection mid-request")
        self.end += got

    def line(self) -> bytes:
        while (at := self.buf.find(b"\r\n", self.start, self.end)) < 0:
            self._fill()
        text = bytes(self.view[self.start : at])
        self.start = at + 2
        return text

    def skip(self, count: int) -> int:
        left = count
        while left:
            if self.start == self.end:
                self._fill()
            take = min(left, self.end - self.start)
            self.start += take
            left -= take
            self.last = self.buf[self.start - 1]
        return count


def _serve_one(conn: socket.socket) -> None:
    reader = _Reader(conn)
    reader.line()  # POST /... HTTP/1.1
    headers = {}
    while line := reader.line():
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    received = 0
    if headers.get(b"transfer-encoding") == b"chunked":
        while size := int(reader.line().split(b";")[0], 16):
            received += reader.skip(size)
            reader.line()  # the CRLF after the chunk
        while reader.line():  # trailers, up to the empty line
            pass
    else:
        received = reader.skip(int(headers.get(b"content-length", b"0")))
    last = chr(reader.last) if reader.last >= 0 else ""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(JOB_RESPONSE)}\r\n".encode()
        + f"X-Body-Bytes: {received}\r\nX-Body-Last: {last}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + JOB_RESPONSE
    )


def serve() -> None:
    """The sink's process: prints its port, then answers one connection at a time until killed."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        print(server.getsockname()[1], flush=True)
        while True:
            conn, _ = server.accept()
            with conn, contextlib.suppress(EOFError, ConnectionError, ValueError):  # a broken request
                _serve_one(conn)


# --- the generator at the ERP port ------------------------------------------------------------------------


def _fields(n: int) -> tuple[str, str, str, str, str, str, str, str | None, tuple[str, str]]:
    first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
    return (
        f"C{n:07d}",
        f"{first.lower()}.{last.lower()}{n}@example.com".replace("å", "a"),
        first,
        last,
        f"+46 8 {n % 1000:03d} {n % 100:02d} {n % 97:02d}",
        f"+46 70 {n % 999:03d} {n % 89:02d} {n % 83:02d}",
        f"Storgatan {n % 200 + 1}",
        f"B{n // 5:06d}" if n % 5 == 0 else None,
        CITIES[n % len(CITIES)],
    )


class GeneratedErp:
    """The ``ErpExport`` port fed by a generator. ``validate=False``: an adapter that hands the port ready
    objects (``model_construct``: no validation); ``validate=True``: one dict per customer as the REST
    ERP sends it (camelCase), through ``ErpCustomer.model_validate``, as the REST adapter does."""

    def __init__(self, count: int, validate: bool = False) -> None:
        from norce_integration.erp.model import ErpAddress, ErpCustomer  # noqa: PLC0415

        self.count = count
        self.validate = validate
        self._customer, self._address = ErpCustomer, ErpAddress

    def export_customers(self, changed_since: datetime | None) -> Iterator[Any]:
        return self._validated() if self.validate else self._constructed()

    def export_companies(self, changed_since: datetime | None) -> Iterator[Any]:
        return iter(())

    def _constructed(self) -> Iterator[Any]:
        construct, address = self._customer.model_construct, self._address.model_construct
        for n in range(self.count):
            code, email, first, last, phone, cell, street, company, (zip_code, city) = _fields(n)
            yield construct(
                code=code,
                email=email,
                first_name=first,
                last_name=last,
                phone=phone,
                cell_phone=cell,
                company_code=company,
                address=address(line1=street, zip_code=zip_code, city=city, country="SE"),
                price_lists=PRICE_LISTS[n % 3],
                changed_at=CHANGED[n % 1000],
            )

    def _validated(self) -> Iterator[Any]:
        validate = self._customer.model_validate
        stamps = [stamp.isoformat() for stamp in CHANGED]
        for n in range(self.count):
            code, email, first, last, phone, cell, street, company, (zip_code, city) = _fields(n)
            wire = {
                "code": code,
                "email": email,
                "firstName": first,
                "lastName": last,
                "phone": phone,
                "cellPhone": cell,
                "companyCode": company,
                "address": {"line1": street, "zipCode": zip_code, "city": city, "country": "SE"},
                "priceLists": list(PRICE_LISTS[n % 3]),
                "isActive": True,
                "changedAt": stamps[n % 1000],
            }
            yield validate(wire)


# --- one run, in a child process --------------------------------------------------------------------------


def _streamed(count: int, port: int, validate: bool) -> tuple[float, int]:
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect  # noqa: PLC0415
    from norce_integration.adapters.memory.imports import InMemoryImportStore  # noqa: PLC0415
    from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest  # noqa: PLC0415
    from norce_integration.imports.service import ImportRunner  # noqa: PLC0415

    norce = HttpNorceConnect(f"http://127.0.0.1:{port}{CONNECT_PATH}", basic=("1001", "x"))
    answers: list[Any] = []
    norce._http._caller.session.hooks["response"].append(lambda response, **_: answers.append(response))
    runner = ImportRunner(
        erp=GeneratedErp(count, validate),
        norce=norce,
        store=InMemoryImportStore(),
        config=ImportConfig(account_id=1),
    )
    request = RunRequest(Entity.CUSTOMERS, Mode.FULL, force=True)
    start = time.perf_counter()
    summary = runner.run(request)
    seconds = time.perf_counter() - start
    assert summary.outcome == "sent" and summary.sent == count, summary.as_dict()
    assert summary.job_ids == [5001] and answers[-1].headers["X-Body-Last"] == "]"
    return seconds, int(answers[-1].headers["X-Body-Bytes"])


def _warm(count: int, port: int, runs: int = WARM_RUNS) -> tuple[float, int]:
    """``runs`` delta imports of ``count`` customers, one after the other in one process, as a warm Lambda
    environment runs the scheduled deltas (one Norce client, built once): its peak RSS should be a single
    run's, not grow with the runs."""
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect  # noqa: PLC0415
    from norce_integration.adapters.memory.imports import InMemoryImportStore  # noqa: PLC0415
    from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest  # noqa: PLC0415
    from norce_integration.imports.service import ImportRunner  # noqa: PLC0415

    norce = HttpNorceConnect(f"http://127.0.0.1:{port}{CONNECT_PATH}", basic=("1001", "x"))
    start = time.perf_counter()
    for _ in range(runs):  # a fresh store: no watermark, so every delta sends all `count`
        runner = ImportRunner(GeneratedErp(count), norce, InMemoryImportStore(), ImportConfig(account_id=1))
        summary = runner.run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
        assert summary.outcome == "sent" and summary.sent == count, summary.as_dict()
    return time.perf_counter() - start, 0  # the bytes are not counted: RSS is the figure


def _naive(count: int, port: int) -> tuple[float, int]:
    import requests  # noqa: PLC0415

    from norce_integration.imports.config import Entity, ImportConfig  # noqa: PLC0415
    from norce_integration.imports.records import RecordWriter  # noqa: PLC0415

    writer = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1))
    fields, mapped = writer.fields, writer._customer  # the same records as the streamed run
    erp = GeneratedErp(count)
    url = f"http://127.0.0.1:{port}{CONNECT_PATH}Customer/ImportCustomers"
    start = time.perf_counter()
    records = []
    for customer in erp.export_customers(None):
        body = mapped(customer)
        record = {name: body.get(name) for name in fields}
        if "Companies" in record:  # as the writer sends it: never unlinking Norce's other companies
            record["IsCompanyListDelta"] = True
        records.append(record)
    data = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()
    answer = requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=120)
    seconds = time.perf_counter() - start
    assert answer.status_code == 200 and answer.json()["JobId"] == "5001"
    return seconds, int(answer.headers["X-Body-Bytes"])


def _generator_only(count: int, validate: bool) -> tuple[float, int]:
    erp = GeneratedErp(count, validate)
    start = time.perf_counter()
    made = sum(1 for _ in erp.export_customers(None))
    seconds = time.perf_counter() - start
    assert made == count
    return seconds, 0


def child(variant: str, count: int, port: int) -> None:
    """One run in this (fresh) process; prints ``{"seconds", "rss_mb", "bytes"}``."""
    if variant == "streamed":
        seconds, sent = _streamed(count, port, validate=False)
    elif variant == "validated":
        seconds, sent = _streamed(count, port, validate=True)
    elif variant == "naive":
        seconds, sent = _naive(count, port)
    elif variant == "warm":
        seconds, sent = _warm(count, port)
    elif variant == "gen":
        seconds, sent = _generator_only(count, validate=False)
    elif variant == "gen-validated":
        seconds, sent = _generator_only(count, validate=True)
    else:
        raise ValueError(variant)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "bytes": sent}))


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "shared")])}


def measure(variant: str, count: int, port: int, repeats: int = 1) -> dict[str, float]:
    """The best time of ``repeats`` fresh processes (the machine may be shared), the highest peak RSS."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            _python(f"from bench.imports import child; child({variant!r}, {count}, {port})"),
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{variant} {count}: {done.stderr.strip()[-2000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda one: one["seconds"])
    return best | {"rss_mb": max(one["rss_mb"] for one in runs)}


class Sink:
    def __enter__(self) -> int:
        self.process = subprocess.Popen(
            _python("from bench.imports import serve; serve()"),
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        return int(self.process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# --- the figures -----------------------------------------------------------------------------------------


def _k(count: int) -> str:
    return f"{count / 1e6:g} M" if count >= 1_000_000 else f"{count / 1000:g} k"


def run(scale: float = 1.0) -> list[Figure]:
    large = max(1000, int(SIZES[1] * scale))
    small = min(SIZES[0], max(200, large // 5))
    validated = max(500, int(VALIDATED * scale))
    repeats = 2 if scale >= 0.05 else 1
    few = WARM if scale >= 0.05 else 100  # the warm environment's deltas: the runs, not their size, count
    results: dict[tuple[str, int], dict[str, float]] = {}
    with Sink() as port:
        for variant, count in [
            ("streamed", small),
            ("streamed", large),
            ("gen", large),
            ("naive", small),
            ("naive", large),
            ("validated", validated),
            ("gen-validated", validated),
            ("streamed", few),
            ("warm", few),
        ]:
            once = variant == "naive" and count == large  # slow and big: once is enough
            results[variant, count] = measure(variant, count, port, 1 if once else repeats)
    big, little = results["streamed", large], results["streamed", small]
    # Our code's share: the run less the generator alone (one thread makes and sends; the sink has its own
    # core). At tiny sizes the difference is noise, hence the floor.
    ours = max(1e-6, big["seconds"] - results["gen", large]["seconds"])
    validated_ours = max(
        1e-6, results["validated", validated]["seconds"] - results["gen-validated", validated]["seconds"]
    )
    bytes_per = big["bytes"] / large
    assert results["naive", large]["bytes"] == big["bytes"], "naive and streamed sent different bodies"
    growth = 100 * (big["rss_mb"] - little["rss_mb"]) / little["rss_mb"]
    figures = [
        Figure(
            f"streamed customers/s at {_k(large)}, end to end",
            large / big["seconds"],
            "cust/s",
            100_000,
            True,
            f"{bytes_per:.0f} B/customer",
        ),
        Figure(f"streamed seconds at {_k(large)}, end to end", big["seconds"], "s", 10 * large / 1e6),
        Figure(
            f"generator alone (model_construct) at {_k(large)}",
            results["gen", large]["seconds"],
            "s",
            note="the ERP adapter's cost, not ours",
        ),
        Figure(
            f"streamed customers/s at {_k(large)}, our code (less generator)",
            large / ours,
            "cust/s",
            100_000,
            True,
        ),
        Figure(f"streamed seconds at {_k(large)}, our code (less generator)", ours, "s", 10 * large / 1e6),
        Figure(f"streamed peak RSS at {_k(small)}", little["rss_mb"], "MiB", 150),
        Figure(f"streamed peak RSS at {_k(large)}", big["rss_mb"], "MiB", 150),
        Figure(
            f"streamed RSS change {_k(large)} vs {_k(small)}",
            max(abs(growth), 0.01),  # |change|: a Figure is positive
            "%",
            10,
            note=f"{growth:+.2f} %",
        ),
    ]
    for count in (small, large):
        naive = results["naive", count]
        figures += [
            Figure(
                f"naive list + json.dumps + post at {_k(count)}",
                naive["seconds"],
                "s",
                note=f"{count / naive['seconds']:,.0f} cust/s",
            ),
            Figure(f"naive peak RSS at {_k(count)}", naive["rss_mb"], "MiB"),
        ]
    one, warm = results["streamed", few], results["warm", few]
    figures += [
        Figure(f"streamed peak RSS, one run of {_k(few)}", one["rss_mb"], "MiB", 150),
        Figure(
            f"warm environment peak RSS after {WARM_RUNS} delta runs of {_k(few)}",
            warm["rss_mb"],
            "MiB",
            150,
            note=f"{warm['rss_mb'] - one['rss_mb']:+.0f} MiB over one run (the function has 1,024 MB)",
        ),
    ]
    run_v = results["validated", validated]
    figures += [
        Figure(
            f"streamed, model_validate (REST adapter) at {_k(validated)}",
            validated / run_v["seconds"],
            "cust/s",
            note="includes the adapter's validation",
        ),
        Figure(
            f"  same, our code (less the generator) at {_k(validated)}",
            validated / validated_ours,
            "cust/s",
            100_000,
            True,
        ),
        Figure(f"  same, peak RSS at {_k(validated)}", run_v["rss_mb"], "MiB", 150),
    ]
    return figures


def profile(count: int = 200_000, top: int = 30) -> None:
    """Our pipeline in this process under cProfile (the sink in its own), by own time and cumulative."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    with Sink() as port:
        _streamed(1000, port, validate=False)  # warm: imports, first connection
        profiler = cProfile.Profile()
        profiler.enable()
        seconds, sent = _streamed(count, port, validate=False)
        profiler.disable()
    print(f"{count} customers, {sent} bytes, {seconds:.2f} s under the profiler")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile"]:
        profile(int(sys.argv[2]) if len(sys.argv) > 2 else 200_000)
    else:
        for figure in run():
            print(figure.line(), flush=True)
