"""``minica sign`` for people and for programs (issue 11 §3, issue 14).

A batch prints a summary (the list with ``--verbose``), keeps existing signed files unless
``--force``, resumes with ``--skip-existing`` and says how many were signed when Ctrl-C stops it;
payroll documents are refused naming their own fields; a ``--store`` keystore of the other
environment gets a hint about ``--store``. Each document is parsed once on every path, and the
``minica`` process imports only what its command needs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from parse_counter import count_parses
from support import NOW, PASSWORD, Cli, files_under

from minica.ca.hierarchy import Authority
from minica.cli.dian_commands import COMMANDS as DIAN_COMMANDS
from minica.cli.lazy import load_command
from minica.cli.main import COMMANDS
from minica.server import jobs
from minica.signing import batch
from minica.signing.batch import BatchInterrupted, SignJob, SignSettings, sign_many
from minica.signing.policy import SHA256, SignerRole
from minica.signing.selection import Selection
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
PROD = ROOT / "testdata" / "invoice-produccion.xml"
NOMINA_SKELETON = ROOT / "testdata" / "dian-unsigned" / "Kreo-one__dian-nomina-individual-v1.0.2-skeleton.xml"


@pytest.fixture
def issued(authority: Authority, run: Cli, password_file: Path) -> dict[str, Any]:
    result = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password_file), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    lote = tmp_path / "lote"
    lote.mkdir()
    for i in range(5):
        shutil.copy(HAB, lote / f"factura-{i}.xml")
    return lote


def _sign(run: Cli, password_file: Path, *args: str) -> Any:
    return run("sign", *args, "--password-file", str(password_file))


@pytest.fixture
def signed(issued: dict[str, Any], run: Cli, password_file: Path, folder: Path, tmp_path: Path) -> dict[Path, bytes]:
    """The folder signed once into ``firmadas/``: each signed file and its bytes."""
    out = tmp_path / "firmadas"
    assert _sign(run, password_file, str(folder), "--out-dir", str(out)).exit_code == 0
    return {p: p.read_bytes() for p in files_under(out)}


# --- output: a summary, the list with --verbose -----------------------------------------------------


def test_batch_prints_a_summary_and_the_list_only_with_verbose(
    issued: dict[str, Any], run: Cli, password_file: Path, folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "firmadas"
    quiet = _sign(run, password_file, str(folder), "--out-dir", str(out))
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stdout.splitlines() == [f"5 signed, 0 failed → {out}"]
    shutil.rmtree(out)
    listed = _sign(run, password_file, str(folder), "--out-dir", str(out), "--verbose")
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[-1] == f"5 signed, 0 failed → {out}"
    assert sorted(lines[:-1]) == [f"signed  {folder / f'factura-{i}.xml'} → {out / f'factura-{i}.xml'}"
                                  for i in range(5)]


def test_one_document_still_says_where_it_went(
    issued: dict[str, Any], run: Cli, password_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "signed.xml"
    result = _sign(run, password_file, str(HAB), "-o", str(out))
    assert result.exit_code == 0 and result.stdout == f"signed  {HAB} → {out}\n"


# --- which files, and where their signed copies go -------------------------------------------------


def test_a_folder_gives_its_xml_files_by_name_and_never_an_input_as_output(
    issued: dict[str, Any], run: Cli, password_file: Path, folder: Path, tmp_path: Path
) -> None:
    (folder / "factura-0.signed.xml").write_bytes(HAB.read_bytes())  # an output of an earlier run
    (folder / "notas.txt").write_text("not a document")
    (tmp_path / "vacia").mkdir()  # a folder with no document beside one with five
    single = tmp_path / "recibida.ubl"  # a file named explicitly is signed whatever its name
    shutil.copy(HAB, single)
    out = tmp_path / "firmadas"
    result = _sign(run, password_file, str(tmp_path / "vacia"), str(folder), str(single), "--out-dir", str(out),
                   "--verbose")
    assert result.exit_code == 0, result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()[:-1]] == [
        *(str(folder / f"factura-{i}.xml") for i in range(5)), str(single)]
    assert sorted(p.name for p in out.iterdir()) == [*(f"factura-{i}.xml" for i in range(5)), "recibida.ubl"]
    beside = _sign(run, password_file, str(single))
    assert beside.exit_code == 0 and (tmp_path / "recibida.signed.xml").is_file()

    into_itself = _sign(run, password_file, str(folder), "--out-dir", str(folder), "--force")
    assert into_itself.exit_code == 2 and "would overwrite it" in into_itself.stderr
    link = tmp_path / "enlace"
    link.mkdir()
    (link / "factura-0.xml").symlink_to(out / "factura-0.xml")  # signing it into out/ would replace it
    before = (out / "factura-0.xml").read_bytes()
    through_link = _sign(run, password_file, str(link), "--out-dir", str(out), "--force")
    assert through_link.exit_code == 2 and f"signing {link / 'factura-0.xml'} would overwrite it" in through_link.stderr
    assert (out / "factura-0.xml").read_bytes() == before
    empty = _sign(run, password_file, str(tmp_path / "vacia"))
    assert empty.exit_code == 2 and "no XML documents to sign" in empty.stderr


# --- existing outputs: refused, --force, --skip-existing ------------------------------------------


def test_existing_outputs_are_refused_before_any_work(
    signed: dict[Path, bytes], run: Cli, password_file: Path, folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "firmadas"
    (folder / "nueva.xml").write_bytes(HAB.read_bytes())
    again = _sign(run, password_file, str(folder), "--out-dir", str(out))
    assert again.exit_code == 1
    assert f"{out / 'factura-0.xml'} and 4 more already exist (5 of the 6 signed files)" in again.stderr
    assert "--force" in again.stderr and "--skip-existing" in again.stderr
    assert {p: p.read_bytes() for p in files_under(out)} == signed  # nothing signed, nothing replaced


def test_beside_the_input_too(issued: dict[str, Any], run: Cli, password_file: Path, tmp_path: Path) -> None:
    invoice = tmp_path / "factura.xml"
    shutil.copy(HAB, invoice)
    assert _sign(run, password_file, str(invoice)).exit_code == 0
    again = _sign(run, password_file, str(invoice))
    assert again.exit_code == 1 and f"{tmp_path / 'factura.signed.xml'} already exists" in again.stderr


def test_force_replaces_and_o_names_its_own_output(
    signed: dict[Path, bytes], run: Cli, password_file: Path, folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "firmadas"
    forced = _sign(run, password_file, str(folder), "--out-dir", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    after = {p: p.read_bytes() for p in files_under(out)}
    assert after.keys() == signed.keys() and all(after[p] != signed[p] for p in after)  # new signatures
    explicit = tmp_path / "una.xml"
    explicit.write_text("old")
    assert _sign(run, password_file, str(HAB), "-o", str(explicit)).exit_code == 0
    assert b"ds:Signature" in explicit.read_bytes()
    both = _sign(run, password_file, str(folder), "--out-dir", str(out), "--force", "--skip-existing")
    assert both.exit_code == 2 and "exclude each other" in both.stderr


def test_skip_existing_resumes_a_batch(
    signed: dict[Path, bytes], run: Cli, password_file: Path, folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "firmadas"
    kept = (out / "factura-1.xml").read_bytes()
    (out / "factura-3.xml").unlink()
    (out / "factura-4.xml").unlink()
    resumed = _sign(run, password_file, str(folder), "--out-dir", str(out), "--skip-existing", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert sorted(Path(s["input"]).name for s in report["signed"]) == ["factura-3.xml", "factura-4.xml"]
    assert len(report["skipped"]) == 3 and report["failed"] == []
    assert (out / "factura-1.xml").read_bytes() == kept
    human = _sign(run, password_file, str(folder), "--out-dir", str(out), "--skip-existing")
    assert human.exit_code == 0 and human.stdout == "0 signed, 0 failed, 5 skipped (already signed)\n"


# --- Ctrl-C ------------------------------------------------------------------------------------------


def test_ctrl_c_says_how_many_were_signed(
    issued: dict[str, Any], run: Cli, password_file: Path, folder: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = Counter[str]()
    real = batch.sign_bytes

    def interrupted_at_the_third(*args: Any) -> Any:
        calls["sign_bytes"] += 1
        if calls["sign_bytes"] == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(batch, "sign_bytes", interrupted_at_the_third)
    out = tmp_path / "firmadas"
    stopped = _sign(run, password_file, str(folder), "--out-dir", str(out), "--jobs", "1")
    assert stopped.exit_code == 130
    assert "interrupted after 2 of 5 documents (2 signed; nothing half-written)" in stopped.stderr
    assert "--skip-existing to sign the other 3" in stopped.stderr
    assert sorted(p.name for p in files_under(out)) == ["factura-0.xml", "factura-1.xml"]  # no temporaries
    monkeypatch.setattr(batch, "sign_bytes", real)
    rest = _sign(run, password_file, str(folder), "--out-dir", str(out), "--skip-existing")
    assert rest.exit_code == 0 and rest.stdout.startswith("3 signed, 0 failed, 2 skipped")


def _interrupted(home: Home, out: Path, *, workers: int, at: int) -> tuple[list[SignJob], BatchInterrupted]:
    """Invoices signed into ``out`` (enough for a pool of ``workers``) with a Ctrl-C inside the
    report of the ``at``-th outcome."""
    jobs = [SignJob(HAB, out / f"factura-{i:02}.xml") for i in range(max(40, batch.POOL_MINIMUM))]
    settings = SignSettings(home.root, PASSWORD.encode(), Selection(), NOW, SignerRole.SUPPLIER, SHA256)
    seen: list[Any] = []

    def ctrl_c_once(outcome: Any) -> None:
        seen.append(outcome)
        if len(seen) == at:
            raise KeyboardInterrupt

    with pytest.raises(BatchInterrupted) as stopped:
        sign_many(jobs, settings, workers=workers, on_done=ctrl_c_once)
    return jobs, stopped.value


def test_a_batch_goes_to_worker_processes_only_when_they_pay(
    issued: dict[str, Any], home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting workers costs about what signing 50 small invoices does: 10 invoices are signed in
    this process even with 2 workers allowed; many invoices, or two large documents, go to workers."""
    out = tmp_path / "firmadas"
    few = [SignJob(HAB, out / f"factura-{i}.xml") for i in range(10)]
    assert not batch.pool_pays(few)
    assert batch.pool_pays([SignJob(HAB, out / f"factura-{i}.xml") for i in range(batch.POOL_MINIMUM)])
    large = tmp_path / "grande.xml"
    large.write_bytes(b" " * (batch.POOL_MINIMUM * batch.BYTES_PER_INVOICE // 2))
    assert batch.pool_pays([SignJob(large, out / "a.xml"), SignJob(large, out / "b.xml")])
    assert not batch.pool_pays([SignJob(tmp_path / "falta.xml", out / "falta.xml")] * 10)  # unreadable: 1 each

    def no_pool(*args: Any) -> None:
        raise AssertionError("a pool was started for 10 invoices")

    monkeypatch.setattr(batch, "_sign_in_pool", no_pool)
    settings = SignSettings(home.root, PASSWORD.encode(), Selection(), NOW, SignerRole.SUPPLIER, SHA256)
    outcomes = sign_many(few, settings, workers=2)
    assert [o.job for o in outcomes] == few and all(o.ok for o in outcomes)


def test_ctrl_c_in_a_pool_finishes_what_started_and_starts_nothing_more(
    issued: dict[str, Any], home: Home, tmp_path: Path
) -> None:
    out = tmp_path / "firmadas"
    jobs, stopped = _interrupted(home, out, workers=2, at=3)
    assert batch.pool_pays(jobs)  # signed by worker processes
    outcomes = stopped.outcomes
    assert stopped.total == len(jobs) and 3 <= len(outcomes) < len(jobs)
    assert [o.job for o in outcomes] == jobs[: len(outcomes)] and all(o.ok for o in outcomes)
    # Every document reported is whole on disk; none other was written, nothing is half-written.
    assert sorted(files_under(out)) == sorted(o.job.target for o in outcomes)
    for outcome in outcomes:
        etree.fromstring(outcome.job.target.read_bytes())


@pytest.mark.parametrize("at", [1, 20, 33], ids=["first-group", "mid-group", "group-start"])
def test_ctrl_c_while_reporting_a_written_group_loses_no_outcome(
    issued: dict[str, Any], home: Home, tmp_path: Path, at: int
) -> None:
    """One process writes 16 documents at a time: a Ctrl-C inside the progress report (or while
    waiting for a group) still reports every document written, once and in order."""
    out = tmp_path / "firmadas"
    jobs, stopped = _interrupted(home, out, workers=1, at=at)
    outcomes = stopped.outcomes
    assert [o.job for o in outcomes] == jobs[: len(outcomes)] and all(o.ok for o in outcomes)
    assert len(outcomes) >= 16 * ((at - 1) // 16 + 1)  # the group being reported, all of it
    assert sorted(files_under(out)) == sorted(o.job.target for o in outcomes)  # none written unreported


# --- payroll fields and the --store hint -------------------------------------------------------------


def test_payroll_placeholders_are_named_by_their_own_fields(
    issued: dict[str, Any], run: Cli, password_file: Path, tmp_path: Path
) -> None:
    ambiente = _sign(run, password_file, str(NOMINA_SKELETON), "-o", str(tmp_path / "n.xml"))
    assert ambiente.exit_code == 2
    assert "InformacionGeneral/@Ambiente is '0'" in ambiente.stderr and "ProfileExecutionID" not in ambiente.stderr
    skeleton = tmp_path / "nomina.xml"
    skeleton.write_bytes(NOMINA_SKELETON.read_bytes().replace(b'Ambiente="0"', b'Ambiente="2"'))
    nit = _sign(run, password_file, str(skeleton), "-o", str(tmp_path / "n.xml"))
    assert nit.exit_code == 2 and "Empleador/@NIT is '0', not a NIT" in nit.stderr
    assert "--nit" in nit.stderr
    chosen = _sign(run, password_file, str(skeleton), "-o", str(tmp_path / "n.xml"), "--nit", "900373987-9")
    assert chosen.exit_code == 0, chosen.stderr


def test_store_of_the_other_environment_gets_a_store_hint(
    issued: dict[str, Any], run: Cli, home: Home, password_file: Path, tmp_path: Path
) -> None:
    store = Path(issued["stores"]["habilitacion"])
    refused = _sign(run, password_file, str(PROD), "-o", str(tmp_path / "p.xml"), "--store", str(store))
    assert refused.exit_code == 1
    assert f"--store {home.root / 'stores' / 'produccion' / store.name}" in refused.stderr
    assert "--env" not in refused.stderr


# --- one parse per document --------------------------------------------------------------------------


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    return count_parses(monkeypatch)


def test_cli_and_api_parse_each_document_once(
    issued: dict[str, Any], run: Cli, home: Home, password_file: Path, folder: Path, tmp_path: Path,
    parses: Counter[str],
) -> None:
    assert _sign(run, password_file, str(HAB), "-o", str(tmp_path / "one.xml")).exit_code == 0
    assert parses == {"lxml": 1, "scan": 1}
    parses.clear()
    result = _sign(run, password_file, str(folder), "--out-dir", str(tmp_path / "out"), "--jobs", "1")
    assert result.exit_code == 0 and parses == {"lxml": 5, "scan": 5}
    parses.clear()
    signed = jobs.sign(home, NOW, HAB.read_bytes(), PASSWORD.encode(), Selection(), SignerRole.SUPPLIER, SHA256,
                       False)
    assert signed["serial"] == issued["serial"] and parses == {"lxml": 1, "scan": 1}


# --- what the process imports ------------------------------------------------------------------------

_IMPORTS = """
import sys
from minica.cli.main import main
sys.argv = ["minica", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("--modules--")
print("\\n".join(sorted(sys.modules)))
"""
#: What signing one file needs none of: the server, the request process, DIAN's side, PDFs, a pool.
NOT_FOR_SIGNING = ("minica.server", "minica.ca.requests.process", "minica.dian", "pypdf", "starlette", "uvicorn",
                   "multiprocessing")


def _imported(*args: str, cwd: Path | None = None) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _IMPORTS, *args], capture_output=True, text=True, timeout=60,
                          check=True, cwd=cwd)
    return set(done.stdout.split("--modules--\n", 1)[1].split())


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_no_command(option: str) -> None:
    modules = _imported(option)
    assert not {m for m in modules if m.startswith(("minica.server", "minica.ca.requests", "minica.signing"))}
    assert "minica.cli.sign_command" not in modules and "cryptography" not in modules


def test_signing_one_file_imports_only_the_signing_stack(
    issued: dict[str, Any], home: Home, password_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "signed.xml"
    modules = _imported("--home", str(home.root), "--at", NOW.isoformat(), "sign", str(HAB), "-o", str(out),
                        "--password-file", str(password_file))
    assert out.exists()
    assert "minica.signing.xades" in modules
    assert not {m for m in modules if m.startswith(NOT_FOR_SIGNING)}


def test_the_help_tables_say_what_the_commands_say() -> None:
    for table in (COMMANDS, DIAN_COMMANDS):
        for name, (target, text) in table.items():
            assert load_command(target).get_short_help_str(10_000) == text, name
