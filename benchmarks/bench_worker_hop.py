"""What the server's worker processes cost: one request's work in-process vs through the pool.

Run ``python benchmarks/bench_worker_hop.py`` (``--rounds N``). In one process, on a temporary home
with a CA and one certificate, it times the work of ``POST /api/v1/sign`` and ``POST
/api/v1/verify`` (:mod:`minica.server.jobs`) three ways, interleaved round by round so that load
from other programs hits all three alike:

- ``direct``: the job called in the event loop's thread (the work itself);
- ``thread``: ``run_in_threadpool`` (what ``serve`` did before it had worker processes);
- ``pool``: :meth:`WorkerPool.run` (a worker process: pickling, a socket round trip, two thread
  wake-ups), the way ``serve`` runs it now.

It prints the median milliseconds of each and the hop (``pool`` - ``direct``); then the bare round
trip of an echo job for three payload sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "src"), str(HERE)]

from starlette.concurrency import run_in_threadpool  # noqa: E402

from minica.ca.hierarchy import create_authority  # noqa: E402
from minica.ca.issuance import IssueRequest, issue_certificate  # noqa: E402
from minica.clock import FixedClock  # noqa: E402
from minica.identity import Nit  # noqa: E402
from minica.server import jobs  # noqa: E402
from minica.server.workers import WorkerPool  # noqa: E402
from minica.signing.policy import SignerRole, digest_algorithm  # noqa: E402
from minica.signing.selection import Selection  # noqa: E402
from minica.storage.home import Home  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
PASSWORD = b"Factura#2026"


def echo(value: bytes) -> bytes:
    return value


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _compare(name: str, function: Callable[..., Any], args: tuple[Any, ...], pool: WorkerPool,
                   rounds: int) -> None:
    async def direct() -> Any:
        return function(*args)

    ways: dict[str, Callable[[], Awaitable[Any]]] = {
        "direct": direct,
        "thread": lambda: run_in_threadpool(function, *args),
        "pool": lambda: pool.run(function, *args),
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(5):  # warm-up
        for call in ways.values():
            await call()
    for _ in range(rounds):
        for way, call in ways.items():
            times[way].append(await _timed(call))
    median = {way: statistics.median(values) for way, values in times.items()}
    print(f"| {name} | {median['direct']:.2f} ms | {median['thread']:.2f} ms | {median['pool']:.2f} ms "
          f"| {(median['pool'] - median['direct']) * 1000:+.0f} µs |")


async def _main(rounds: int) -> None:
    home = Home(Path(tempfile.mkdtemp(prefix="minica-bench-")) / "home")
    create_authority(home, now=NOW, key_size=2048)
    issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                      store_password=PASSWORD, clock=FixedClock(NOW))
    invoice = (REPO / "testdata" / "invoice-habilitacion.xml").read_bytes()
    pool = WorkerPool(1, timeout=60, preload=("minica.server.jobs", "bench_worker_hop"))
    pool.start(warm=True)
    try:
        sign_args = (home, NOW, invoice, PASSWORD, Selection(), SignerRole.SUPPLIER, digest_algorithm("sha256"),
                     False)
        signed = jobs.sign(*sign_args)["document_base64"]
        verify_args = (home, NOW, base64.b64decode(signed), None, None)
        print(f"invoice {len(invoice):,} bytes, signed {len(base64.b64decode(signed)):,} bytes; "
              f"median of {rounds} rounds\n")
        print("| work | direct | thread | pool | hop (pool - direct) |\n|---|---:|---:|---:|---:|")
        await _compare("sign (opens the keystore)", jobs.sign, sign_args, pool, rounds)
        await _compare("verify", jobs.verify, verify_args, pool, rounds)
        import bench_worker_hop  # this file by its name: a worker cannot import __main__'s functions

        for size in (100, 20_000, 200_000):
            await _compare(f"echo {size:,} bytes", bench_worker_hop.echo, (b"x" * size,), pool, rounds * 4)
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    asyncio.run(_main(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
