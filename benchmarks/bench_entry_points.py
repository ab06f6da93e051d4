"""Speed at the entry points users call, beside the floor and the peers, in one run (issue 14).

``python benchmarks/bench_entry_points.py [--quick] [--instructions] [--seconds S] [--rounds N]``

1. ``Signer.sign`` and ``verify_document`` on a small, medium and large invoice, and the work of
   ``POST /api/v1/sign`` / ``/verify`` called in-process, against the floor (lxml parse +
   inclusive C14N + SHA-256 + one RSA-2048 operation) and signxml's XAdES signer and verifier;
   each peer in its own process, its peak RSS beside it (:mod:`entry_peers`).
2. Whole processes, as invoicing software that shells out per invoice runs them: ``minica sign``
   of the small invoice, ``minica --version`` and ``--help``, the floor as a process (Python
   importing lxml and cryptography, then one floor signature), Python importing only, and the
   xmlsec1 CLI signing the same invoice from a template.
3. ``minica sign DIR`` of 2,000 small invoices with ``--jobs 1`` and with every core.
4. ``minica serve``: ``POST /api/v1/sign`` and ``/api/v1/verify`` with 4 concurrent clients (wrk)
   on loopback, with 1 worker and with one per core.
5. With ``--instructions``: the same comparisons counted in instructions by valgrind's callgrind
   (per document: the difference between N and 0 documents), which a shared machine cannot blur.

Wall times are medians; the load average before and after is printed, since the machine may be
shared. Needs xmlsec1, wrk and (for 5) valgrind: ``apt-get install -y xmlsec1 wrk valgrind``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from entry_setup import PASSWORD, SIZES, Work, prepare  # noqa: E402

PARTS = ("peers", "processes", "batch", "http", "instructions")
#: Peers timed together (interleaved in one process). signxml runs in a process of its own: the
#: garbage it leaves would make Python's collector pause inside the others' calls.
PEERS = {"sign": (("sign-floor", "sign-minica"), ("sign-signxml",)),
         "verify": (("verify-floor", "verify-minica"), ("verify-signxml",)),
         "api": (("api-sign", "api-verify"),)}
FLOOR_PROCESS = """
import sys, hashlib
import lxml.etree as etree
import cryptography.x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
data = open(sys.argv[1], "rb").read()
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None, unsafe_skip_rsa_key_validation=True)
tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True)).getroottree()
digest = hashlib.sha256(etree.tostring(tree, method="c14n")).digest()
open(sys.argv[3], "wb").write(key.sign(digest, padding.PKCS1v15(), hashes.SHA256()))
"""
WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("P50_US %d\\nP99_US %d\\nNON2XX %d\\nERRORS %d\\n", latency:percentile(50),
    latency:percentile(99), summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def _python() -> str:
    return sys.executable


def _minica() -> list[str]:
    script = Path(sys.executable).with_name("minica")
    return [str(script)] if script.exists() else [sys.executable, "-m", "minica"]


# --- 1. in-process entry points ------------------------------------------------------------------


def peers(work: Work, seconds: float, rounds: int, groups: tuple[tuple[str, ...], ...]) -> dict[str, dict[str, Any]]:
    """Each group of peers timed interleaved in one process, ``rounds`` fresh processes (the median
    of their medians); then each peer's peak RSS on the large document, in a process of its own."""
    merged: dict[str, dict[str, Any]] = {}
    for group in groups:
        runs: list[dict[str, Any]] = []
        for _ in range(rounds):
            out = subprocess.run([_python(), str(HERE / "entry_peers.py"), "compare", work.root, ",".join(group),
                                  "--seconds", str(seconds)], capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        for peer in group:
            merged[peer] = {size: statistics.median(r[peer][size] for r in runs) for size in SIZES}
            merged[peer]["bytes"] = runs[0][peer]["bytes"]
            out = subprocess.run([_python(), str(HERE / "entry_peers.py"), "rss", work.root, peer],
                                 capture_output=True, text=True, check=True)
            merged[peer]["max_rss_mib"] = json.loads(out.stdout.strip().splitlines()[-1])["max_rss_mib"]
    return merged


def print_peers(title: str, table: dict[str, dict[str, Any]], floor: str) -> None:
    sizes = table[floor]["bytes"]
    print(f"\n{title} — ms per document (median), × the floor; sizes "
          + ", ".join(f"{s} {sizes[s] / 1024:,.0f} KiB" for s in SIZES))
    print("\n| peer | " + " | ".join(SIZES) + " | peak RSS (large) |")
    print("|---|" + "---:|" * (len(SIZES) + 1))
    for peer, row in table.items():
        cells = [f"{row[s]:.2f} ({row[s] / table[floor][s]:.2f}×)" for s in SIZES]
        print(f"| {peer} | " + " | ".join(cells) + f" | {row['max_rss_mib']:.0f} MiB "
              f"({row['max_rss_mib'] / table[floor]['max_rss_mib']:.2f}×) |")


# --- 2. whole processes ----------------------------------------------------------------------------


def process_commands(work: Work, out: Path) -> dict[str, list[str]]:
    home = ["--home", work.home]
    return {
        "python importing lxml + cryptography": [_python(), "-c", "import lxml.etree, cryptography.x509"],
        "floor process (imports + one signature)": [_python(), "-c", FLOOR_PROCESS, work.unsigned["small"],
                                                    work.key_pem, str(out / "floor.sig")],
        "minica sign (one small invoice)": [*_minica(), *home, "sign", work.unsigned["small"], "-o",
                                            str(out / "minica.xml"), "--password-file", work.password_file],
        "minica --version": [*_minica(), "--version"],
        "minica --help": [*_minica(), "--help"],
        "xmlsec1 --sign (XML-DSig from a template)": ["xmlsec1", "--sign", "--pkcs12", work.store, "--pwd", PASSWORD,
                                                      "--output", str(out / "xmlsec.xml"), work.template],
    }


def processes(work: Work, rounds: int) -> dict[str, tuple[float, float]]:
    """(median wall ms, median CPU ms) of each command, the commands interleaved round by round."""
    out = Path(work.root) / "process-out"
    out.mkdir(exist_ok=True)
    commands = process_commands(work, out)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(rounds + 1):
        for name, command in commands.items():
            for leftover in out.glob("minica.xml"):
                leftover.unlink()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = (time.perf_counter() - started) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if round_:  # the first round warms the page cache
                walls[name].append(wall)
                cpus[name].append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in commands}


def print_processes(table: dict[str, tuple[float, float]]) -> None:
    floor_wall, floor_cpu = table["floor process (imports + one signature)"]
    print("\nWhole processes — median ms (wall, CPU), × the floor process\n")
    print("| process | wall ms | CPU ms | wall × floor | CPU × floor |\n|---|---:|---:|---:|---:|")
    for name, (wall, cpu) in table.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {wall / floor_wall:.2f} | {cpu / floor_cpu:.2f} |")


# --- 3. minica sign DIR ----------------------------------------------------------------------------


def batch(work: Work, rounds: int) -> dict[tuple[str, int], float]:
    """Median seconds of ``minica sign DIR`` with ``--jobs 1`` and with every core: writing to the
    disk, and to tmpfs (``/dev/shm``, where fsync costs nothing: the cores alone); beside them the
    disk's own floor, the same number of signed-size files written as minica writes them
    (``atomic_write``: fsync'd, then linked) by one process and by as many as there are cores.

    Key ``(place, 0)``: the batch split by hand, one ``--jobs 1`` process per core each on its share
    of the files, all at once. No way of running minica on these cores does better: it is the
    ceiling of ``--jobs N`` on this machine (each process starts up in parallel, nothing is
    coordinated, and the cores are as fast as they are when all of them are busy).

    Each run writes into a folder of its own; they are removed only after the last run, because a
    file system allocating inodes right after thousands were freed (ext4 checks each recently freed
    one) would charge that search to whichever run came next.
    """
    cores = os.cpu_count() or 1
    places = {"disk": Path(work.root) / "firmadas"}
    if Path("/dev/shm").is_dir():
        places["tmpfs"] = Path(tempfile.mkdtemp(prefix="minica-bench-", dir="/dev/shm"))
    count = len(list(Path(work.batch).glob("*.xml")))
    signed_size = len(Path(work.signed["small"]).read_bytes())
    shares = _shares(Path(work.batch), cores)
    times: dict[tuple[str, int], list[float]] = {}

    def sign(sources: list[Path], out: Path, jobs: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([*_minica(), "--home", work.home, "sign", *map(str, sources), "--out-dir",
                                 str(out), "--jobs", str(jobs), "--password-file", work.password_file],
                                stdout=subprocess.DEVNULL)

    for round_ in range(rounds):
        for place, outputs in places.items():
            for jobs in (1, cores, 0):
                out = outputs / f"{round_}-{jobs}"
                started = time.perf_counter()
                running = [sign([share], out / str(n), 1) for n, share in enumerate(shares)] if jobs == 0 else \
                    [sign([Path(work.batch)], out, jobs)]
                if any(process.wait() for process in running):
                    raise SystemExit("minica sign failed")
                times.setdefault((place, jobs), []).append(time.perf_counter() - started)
        for jobs in (1, cores):
            times.setdefault(("fsync floor", jobs), []).append(
                _write_files(places["disk"] / f"{round_}-floor-{jobs}", count, signed_size, jobs))
    for outputs in places.values():
        shutil.rmtree(outputs)
    return {key: statistics.median(values) for key, values in times.items()}


def _shares(batch: Path, parts: int) -> list[Path]:
    """The batch's files split into ``parts`` folders of consecutive files (hard links: a symbolic
    link costs the planning a ``resolve`` per file)."""
    files = sorted(batch.glob("*.xml"))
    shares = []
    for n in range(parts):
        share = batch.parent / f"{batch.name}-share-{n}"
        if not share.exists():
            share.mkdir()
            for source in files[n * len(files) // parts : (n + 1) * len(files) // parts]:
                os.link(source, share / source.name)
        shares.append(share)
    return shares


def _write_files(folder: Path, count: int, size: int, processes: int) -> float:
    """Seconds for ``processes`` processes to write ``count`` files of ``size`` bytes as a batch
    does: in groups made durable together (``atomic_write_all``)."""
    from minica.signing.batch import GROUP_DOCUMENTS
    from minica.storage.files import FileWrite, atomic_write_all

    folder.mkdir(parents=True)
    data = os.urandom(size)
    started = time.perf_counter()
    children = []
    for first in range(processes):
        pid = os.fork()
        if pid == 0:
            try:
                mine = [FileWrite(folder / f"{n}.xml", data, 0o644, True) for n in range(first, count, processes)]
                for start in range(0, len(mine), GROUP_DOCUMENTS):
                    atomic_write_all(mine[start : start + GROUP_DOCUMENTS])
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return time.perf_counter() - started


def print_batch(work: Work, times: dict[tuple[str, int], float]) -> None:
    count, cores = len(list(Path(work.batch).glob("*.xml"))), max(jobs for _, jobs in times)
    print(f"\nminica sign DIR, {count:,} small invoices — median seconds (documents per second); the "
          f"ceiling: {cores} processes of --jobs 1 at once, each on 1/{cores} of the files\n")
    print(f"| outputs | --jobs 1 | --jobs {cores} | speed-up | ceiling | its speed-up |\n"
          "|---|---:|---:|---:|---:|---:|")
    for place in dict.fromkeys(place for place, _ in times):
        one, many, split = times[(place, 1)], times[(place, cores)], times.get((place, 0))
        label = {"disk": "on the disk (made durable)", "tmpfs": "on tmpfs",
                 "fsync floor": "the disk's floor: the files alone, written as minica writes them"}[place]
        ceiling = f"{split:.2f} ({count / split:,.0f}/s) | ×{one / split:.2f}" if split else "– | –"
        print(f"| {label} | {one:.2f} ({count / one:,.0f}/s) | {many:.2f} ({count / many:,.0f}/s) | "
              f"×{one / many:.2f} | {ceiling} |")


# --- 4. minica serve -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(work: Work, seconds: float, workers: int) -> dict[str, dict[str, float]]:
    """wrk with 4 connections against POST /api/v1/sign and /api/v1/verify of ``minica serve``."""
    root = Path(work.root)
    token = "bench-token-0123456789abcdef0123"
    (root / "token.txt").write_text(token)
    bodies = {
        "sign": {"document": Path(work.unsigned["small"]).read_text(encoding="utf-8"), "password": PASSWORD},
        "verify": {"document": Path(work.signed["small"]).read_text(encoding="utf-8")},
    }
    port = _free_port()
    server = subprocess.Popen([*_minica(), "--home", work.home, "serve", "--port", str(port), "--token-file",
                               str(root / "token.txt"), "--workers", str(workers), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {}
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/v1/openapi.json", server)
        for name, body in bodies.items():
            body_file, script = root / f"{name}.json", root / f"{name}.lua"
            body_file.write_text(json.dumps(body))
            script.write_text(WRK_LUA.replace("{token}", token).replace("{body}", str(body_file)))
            url = f"http://127.0.0.1:{port}/api/v1/{name}"
            subprocess.run(["wrk", "-t1", "-c4", "-d1s", "-s", str(script), url], capture_output=True, check=True)
            done = subprocess.run(["wrk", "-t1", "-c4", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script), url],
                                  capture_output=True, text=True, check=True).stdout
            stats = dict(re.findall(r"^(P50_US|P99_US|NON2XX|ERRORS) (\d+)$", done, re.M))
            results[name] = {
                "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", done).group(1)),  # type: ignore[union-attr]
                "p50": int(stats["P50_US"]) / 1000, "p99": int(stats["P99_US"]) / 1000,
                "failed": int(stats["NON2XX"]) + int(stats["ERRORS"]),
            }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return results


def print_http(api: dict[str, dict[str, Any]], served: dict[int, dict[str, dict[str, float]]]) -> None:
    print("\nminica serve, 4 concurrent clients (wrk) on loopback, small invoice: requests/s (p50 / p99 ms);"
          " in-process: the same work called directly, one at a time\n")
    print("| endpoint | in-process | " + " | ".join(f"{n} worker{'s' if n > 1 else ''}" for n in served) + " |")
    print("|---|---:|" + "---:|" * len(served))
    for name, peer in (("sign", "api-sign"), ("verify", "api-verify")):
        cells = [f"{1000 / api[peer]['small']:,.0f}/s ({api[peer]['small']:.2f} ms)"]
        for result in served.values():
            r = result[name]
            failed = " FAILED" if r["failed"] else ""
            cells.append(f"{r['rps']:,.0f}/s ({r['p50']:.1f} / {r['p99']:.1f}){failed}")
        print(f"| POST /api/v1/{name} | " + " | ".join(cells) + " |")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("minica serve did not start") from None
            time.sleep(0.1)


# --- 5. instructions -------------------------------------------------------------------------------


def instructions(command: list[str]) -> int:
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                          capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))  # type: ignore[union-attr]


def per_document(peer: str, work: Work, size: str, count: int) -> float:
    base = [_python(), str(HERE / "entry_peers.py"), "run", work.root, peer, "--size", size, "--iterations"]
    return (instructions([*base, str(count)]) - instructions([*base, "0"])) / count


def print_instructions(work: Work, quick: bool) -> None:
    count = 3 if quick else 20
    print("\nInstructions (valgrind callgrind), × the floor\n")
    print("| what | instructions | × floor |\n|---|---:|---:|")
    for kind, floor, minica in (("sign", "sign-floor", "sign-minica"), ("verify", "verify-floor", "verify-minica")):
        for size in SIZES:
            times = 1 if size == "large" else count
            base = per_document(floor, work, size, times)
            mine = per_document(minica, work, size, times)
            print(f"| {kind} floor, {size} | {base / 1e6:.2f} M | 1.00 |")
            print(f"| {minica} ({'Signer.sign' if kind == 'sign' else 'verify_document'}), {size} "
                  f"| {mine / 1e6:.2f} M | {mine / base:.2f} |")
    out = Path(work.root) / "process-out"
    out.mkdir(exist_ok=True)
    commands = process_commands(work, out)
    floor = instructions(commands["floor process (imports + one signature)"])
    for name, command in commands.items():
        if name.startswith("minica sign"):
            (out / "minica.xml").unlink(missing_ok=True)
        total = floor if name.startswith("floor") else instructions(command)
        print(f"| process: {name} | {total / 1e6:.0f} M | {total / floor:.2f} |")


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budgets and a small batch: a smoke run")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per peer and size")
    parser.add_argument("--rounds", type=int, default=3, help="processes per peer, and rounds of the others")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these parts (repeatable)")
    args = parser.parse_args()
    seconds, rounds = (0.2, 1) if args.quick else (args.seconds, args.rounds)
    # Measure minica as installed: its bytecode compiled once (pip does it), never at every start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([_python(), "-m", "compileall", "-q", str(HERE.parent / "src"), str(HERE)], check=True,
                   stdout=subprocess.DEVNULL)
    import cryptography
    import lxml.etree

    print(f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z}; {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, lxml {lxml.etree.__version__}, "
          f"cryptography {cryptography.__version__}; load average before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="minica-bench-") as tmp:
        parts = args.only or [p for p in PARTS if p != "instructions" or args.instructions]
        work = prepare(Path(tmp), batch=100 if args.quick else 2000)
        if "peers" in parts:
            print_peers("Signing: Signer.sign", peers(work, seconds, rounds, PEERS["sign"]), "sign-floor")
            print_peers("Verifying: verify_document", peers(work, seconds, rounds, PEERS["verify"]), "verify-floor")
        if "processes" in parts:
            print_processes(processes(work, 3 if args.quick else 10 * rounds))
        if "batch" in parts:
            print_batch(work, batch(work, rounds))
        if "http" in parts:
            api = peers(work, seconds, rounds, PEERS["api"])
            print_http(api, {n: http(work, 2 if args.quick else 10, n) for n in sorted({1, os.cpu_count() or 1})})
        if "instructions" in parts:
            print_instructions(work, args.quick)
    print(f"\nload average after: {_load()}")


if __name__ == "__main__":
    main()
