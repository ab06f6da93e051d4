"""``minica sign``: XAdES-EPES signatures with a stored certificate, one file or a folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from minica.cli.check_command import load_anchors
from minica.cli.context import AppContext, at_option, json_option, pass_app, password_file_option, store_password
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.signing.batch import SignJob, SignOutcome, SignSettings, pem_of, sign_many
from minica.signing.policy import SignerRole, digest_algorithm
from minica.signing.selection import Selection

SIGNED_SUFFIX = ".signed.xml"


def plan_jobs(inputs: tuple[Path, ...], output: Path | None, out_dir: Path | None) -> list[SignJob]:
    """Expand folders to their ``*.xml`` files and decide where each signed file goes."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(p for p in path.glob("*.xml") if not p.name.endswith(SIGNED_SUFFIX))
        elif path.exists():
            files.append(path)
        else:
            raise InvalidInput(f"{path} does not exist", "check the path")
    if not files:
        raise InvalidInput("no XML documents to sign", "give files or a folder holding *.xml")
    if output is not None:
        if len(files) != 1:
            raise InvalidInput("-o/--output takes one document", "use --out-dir for several")
        return [SignJob(files[0], output)]
    jobs = []
    for path in files:
        target = (out_dir / path.name) if out_dir else path.with_name(path.stem + SIGNED_SUFFIX)
        if target.resolve() == path.resolve():
            raise InvalidInput(f"signing {path} would overwrite it", "choose another --out-dir")
        jobs.append(SignJob(path, target))
    return jobs


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Signed file (one input).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the signed files (default: beside each input, as NAME.signed.xml).")
@click.option("--nit", help="Sign with this NIT's newest valid certificate (default: the document's supplier).")
@click.option("--serial", help="Sign with this certificate (serial in hex).")
@click.option("--store", type=click.Path(dir_okay=False, path_type=Path), help="A .p12/.pfx from anywhere.")
@click.option("--env", "env", help="habilitacion or produccion (default: the document's ProfileExecutionID).")
@click.option("--role", default="supplier", show_default=True, help="supplier or 'third party'.")
@click.option("--digest", default="sha256", show_default=True, type=click.Choice(["sha256", "sha384", "sha512"]))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CA certificates (PEM) a --store keystore may chain to, besides this CA.")
@click.option("--with-chain", is_flag=True, help="Also put the CA chain in KeyInfo and SigningCertificate.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@password_file_option
@at_option
@json_option
@pass_app
def sign(
    app: AppContext, inputs: tuple[Path, ...], output: Path | None, out_dir: Path | None, nit: str | None,
    serial: str | None, store: Path | None, env: str | None, role: str, digest: str, trust: tuple[Path, ...],
    with_chain: bool, jobs: int | None, password_file: Path | None,
) -> None:
    """Sign UBL documents (files or folders) with DIAN's XAdES-EPES profile.

    Only a valid stored certificate signs: within its validity at the signing time (--at), not
    revoked, with signing key usage, chaining to this CA (or --trust), from the store of the
    document's environment. Exit status 2 if a document is unreadable or malformed, else 1 if any was
    refused; the others are still signed.
    """
    if output is not None and out_dir is not None:
        raise InvalidInput("-o and --out-dir exclude each other", "use one")
    selection = Selection(serial=serial, nit=nit, store=store,
                          environment=Environment.parse(env) if env else None)
    planned = plan_jobs(inputs, output, out_dir)
    settings = SignSettings(
        home_root=app.home.root,
        password=store_password(password_file, confirm=False).encode("utf-8"),
        selection=selection,
        signing_time=app.clock.now(),
        role=SignerRole.parse(role),
        digest=digest_algorithm(digest),
        trust_pem=pem_of(load_anchors(trust)),
        include_chain=with_chain,
    )
    show_bar = sys.stderr.isatty() and len(planned) > 1 and not app.json
    with click.progressbar(length=len(planned), label="signing", file=sys.stderr,
                           hidden=not show_bar) as bar:
        def advance(_outcome: SignOutcome) -> None:
            bar.update(1)

        outcomes = sign_many(planned, settings, workers=jobs, on_done=advance)
    failed = [o for o in outcomes if not o.ok]
    app.emit(
        {"signed": [{"input": str(o.job.source), "output": str(o.job.target)} for o in outcomes if o.ok],
         "failed": [{"input": str(o.job.source), "error": o.error} for o in failed]},
        lambda: _print(outcomes),
    )
    if failed:  # the worst failure decides: bad input (2) over a refusal (1)
        click.get_current_context().exit(max(o.exit_code for o in failed))


def _print(outcomes: list[SignOutcome]) -> None:
    for outcome in outcomes:
        if outcome.ok:
            click.echo(f"signed  {outcome.job.source} → {outcome.job.target}")
        else:
            click.echo(f"error: {outcome.job.source}: {outcome.error}", err=True)
    failed = sum(not o.ok for o in outcomes)
    if len(outcomes) > 1:
        click.echo(f"{len(outcomes) - failed} signed, {failed} failed")
