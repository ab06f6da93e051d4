"""Two (or more) ``minica issue`` processes at once never duplicate a serial or lose a row."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from minica.ca.hierarchy import Authority
from minica.storage.home import Home


def test_parallel_issuance_keeps_every_row_and_serial_unique(
    authority: Authority, home: Home, password_file: Path
) -> None:
    processes, per_process = 6, 3
    script = (
        "import sys; from minica.cli.main import main; "
        "sys.argv = ['minica'] + sys.argv[1:]; main()"
    )
    procs = []
    for i in range(processes):
        args = []
        for _ in range(per_process):
            args.append([sys.executable, "-c", script, "--home", str(home.root), "--at", "2026-11-22T10:00",
                         "issue", "--nit", f"90037398{i}", "--name", f"EMPRESA {i}",
                         "--password-file", str(password_file)])
        # each worker issues its certificates one after another, all workers at once
        chain = " && ".join(subprocess.list2cmdline(a) for a in args)
        procs.append(subprocess.Popen(chain, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with contextlib.closing(sqlite3.connect(home.db_path)) as conn:
        serials = [r[0] for r in conn.execute("SELECT serial FROM certificates")]
        stores = conn.execute("SELECT COUNT(*) FROM certificate_stores").fetchone()[0]
        audits = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'issue'").fetchone()[0]
    total = processes * per_process
    assert len(serials) == total == len(set(serials))
    assert stores == 2 * total and audits == total
    assert len(list((home.stores_root / "habilitacion").glob("*.p12"))) == total
    assert len(list((home.stores_root / "produccion").glob("*.p12"))) == total
