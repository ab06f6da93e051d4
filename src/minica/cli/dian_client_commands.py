"""``minica dian send | status``: the WS-Security client of DIAN's web service (the local DIAN of this
home by default, ``--url`` for another)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from minica.cli.context import AppContext, at_option, json_option, pass_app, password_file_option, store_password
from minica.clock import COLOMBIA
from minica.dian.client import DianClient, default_endpoint, home_credentials
from minica.dian.replies import DianResponse
from minica.dian.request_signing import REQUEST_TTL
from minica.dian.sending import (
    Answered,
    Outgoing,
    Polling,
    SendReport,
    read_documents,
    response_path,
    send_documents,
    sync_request,
)
from minica.dian.transport import DEFAULT_TIMEOUT
from minica.environment import Environment
from minica.errors import InvalidInput, MinicaError, one_line
from minica.identity import Nit
from minica.signing.selection import Selection
from minica.storage.files import atomic_write

_GUID_LENGTH = 36


def timeout_option(func: Any) -> Any:
    """--timeout: seconds to wait for each answer of DIAN."""
    return click.option("--timeout", type=click.FloatRange(0.001, 3600), default=DEFAULT_TIMEOUT, show_default=True,
                        help="Seconds to wait for each answer.")(func)


def client_options(func: Any) -> Any:
    """--url, the certificate (--nit/--serial/--store), --timeout and the keystore password."""
    for option in reversed((
        click.option("--url", help="DIAN's endpoint (default: the local DIAN of this home, minica serve)."),
        click.option("--nit", help="Sign WS-Security with this NIT's newest valid certificate."),
        click.option("--serial", help="Sign WS-Security with this certificate (serial in hex)."),
        click.option("--store", type=click.Path(dir_okay=False, path_type=Path), help="A .p12/.pfx from anywhere."),
        timeout_option,
    )):
        func = option(func)
    return password_file_option(func)


def polling_options(wait: float) -> Callable[[Any], Any]:
    """--wait (default ``wait``) and --poll-interval: how long GetStatusZip is polled."""

    def decorate(func: Any) -> Any:
        func = click.option("--poll-interval", type=click.FloatRange(0, 3600), default=2.0, show_default=True,
                            help="Seconds between GetStatusZip polls while DIAN validates a batch.")(func)
        return click.option("--wait", type=click.FloatRange(0, 86400), default=wait, show_default=True,
                            help="Seconds to wait at most for a batch's answer.")(func)

    return decorate


def make_client(app: AppContext, environment: Environment, *, url: str | None, nit: Nit | None,
                selection: Selection, timeout: float, password_file: Path | None) -> DianClient:
    """A client for ``environment`` signing WS-Security with the chosen stored certificate."""
    password = store_password(password_file, confirm=False).encode("utf-8")
    credentials = home_credentials(app.home, password, environment, at=app.clock.now(), nit=nit, selection=selection)
    return DianClient(url or default_endpoint(app.home, environment), credentials, app.clock, timeout)


def print_response(label: str, response: DianResponse, saved: Path | None) -> None:
    """One answer, readably: the verdict line, DIAN's message, its rules, where its ApplicationResponse went."""
    verdict = "accepted" if response.is_valid else "still being validated" if response.pending else "rejected"
    click.echo(f"{label}  {response.status_code} {response.status_description} — {verdict}")
    if response.status_message and response.status_message != response.status_description:
        click.echo(f"    {response.status_message}")
    if response.document_key:
        click.echo(f"    key {response.document_key}")
    for text in response.errors:
        click.echo(f"    {text}")
    if saved is not None:
        click.echo(f"    ApplicationResponse → {saved}")


def fail_after_output(message: str, code: int = 1) -> None:
    """The one error line after what was printed, and the exit status."""
    click.echo(one_line(f"error: {message}"), err=True)
    click.get_current_context().exit(code)


def _environment(env: str | None, documents: list[Any]) -> Environment:
    if env:
        return Environment.parse(env)
    found = {d.environment_id for d in documents}
    if len(found) == 1 and found <= {"1", "2"}:
        return Environment.from_profile_execution_id(found.pop() or "")
    raise InvalidInput("the documents do not name one environment (ProfileExecutionID 1 or 2)",
                       "give --env habilitacion or --env produccion")


def _sender_nit(documents: list[Any], selection: Selection) -> Nit | None:
    if selection.nit or selection.serial or selection.store:
        return None
    suppliers = {d.supplier_nit for d in documents}
    if len(suppliers) != 1 or not next(iter(suppliers)):
        raise InvalidInput("the documents do not name one supplier NIT",
                           "choose the WS-Security certificate with --nit, --serial or --store")
    return Nit.parse(str(next(iter(suppliers))))


@click.command("send")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--env", "env", help="habilitacion or produccion (default: the documents' ProfileExecutionID).")
@click.option("--test-set", "test_set", metavar="ID",
              help="Send them together to the habilitación test set ID (SendTestSetAsync) and follow them.")
@click.option("--envelope-out", "envelope_out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the signed SOAP request of the one document to FILE instead of sending it (to post "
                   "with curl or a SOAP tool within 5 minutes).")
@client_options
@polling_options(wait=300.0)
@at_option
@json_option
@pass_app
def send(app: AppContext, files: tuple[Path, ...], env: str | None, test_set: str | None, envelope_out: Path | None,
         url: str | None, nit: str | None, serial: str | None, store: Path | None, timeout: float,
         password_file: Path | None, wait: float, poll_interval: float) -> None:
    """Send signed documents to DIAN (WS-Security signed) and print DIAN's answers.

    Each document goes alone with SendBillSync (SendNominaSync for payroll, SendEventUpdateStatus for
    an ApplicationResponse event); with --test-set they go together with SendTestSetAsync and
    GetStatusZip is polled (--wait, --poll-interval). DIAN's ApplicationResponse is saved beside each
    document as NAME.application-response.xml. Exit status 0 when DIAN accepted every document, 1
    otherwise (a rejection, no answer yet, or a failed exchange: an error line says which).
    With --envelope-out nothing is sent: the signed request is written for another tool to post.
    """
    if envelope_out is not None and (test_set is not None or len(files) != 1):
        raise InvalidInput("--envelope-out writes the request of one document sent alone",
                           "give one file, without --test-set")
    selection = Selection(serial=serial, nit=nit, store=store)
    documents = read_documents(list(files), test_set=test_set is not None)
    environment = _environment(env, documents)
    client = make_client(app, environment, url=url, nit=_sender_nit(documents, selection), selection=selection,
                         timeout=timeout, password_file=password_file)
    if envelope_out is not None:
        _write_envelope(app, client, documents[0], envelope_out)
        return

    def shown(answered: Answered) -> None:
        if not app.json:
            print_response(str(answered.document), answered.response, answered.application_response)

    report = send_documents(client, documents, test_set_id=test_set,
                            polling=Polling(interval=poll_interval, wait=wait), on_answer=shown)
    app.emit({"url": client.url, "environment": environment.value, "test_set_id": test_set, **report.to_json()},
             lambda: _summary(report))
    if report.error is not None:
        fail_after_output(str(report.error))
    if not report.all_accepted:
        click.get_current_context().exit(1)


def _write_envelope(app: AppContext, client: DianClient, document: Outgoing, target: Path) -> None:
    operation, parameters = sync_request(document)
    try:
        atomic_write(target, client.envelope(operation, parameters), mode=0o644)
    except OSError as exc:
        raise MinicaError(f"cannot write {target}: {exc.strerror}", "check --envelope-out") from None
    expires = (app.clock.now() + REQUEST_TTL).astimezone(COLOMBIA).isoformat(timespec="seconds")
    curl = (f"curl -s -H 'Content-Type: application/soap+xml; charset=utf-8' --data-binary @{shlex.quote(str(target))}"
            f" {shlex.quote(client.url)}")
    app.emit({"envelope": str(target), "operation": operation.value, "url": client.url, "expires": expires,
              "curl": curl},
             lambda: click.echo(f"wrote the signed {operation.value} request → {target} (fresh until {expires});"
                                f" post it with:\n  {curl}"))


def _summary(report: SendReport) -> None:
    accepted = sum(1 for a in report.answered if a.response.is_valid)
    total = len(report.answered) + len(report.not_sent) + _pending(report)
    click.echo(f"{accepted} accepted, {len(report.answered) - accepted} rejected ({len(report.answered)} answered"
               f" of {total})")
    for zip_key in report.pending:
        click.echo(f"batch {zip_key} is still being validated: minica dian status {zip_key}")
    if report.not_sent:
        click.echo("not sent (DIAN did not take them): " + ", ".join(str(p) for p in report.not_sent))


def _pending(report: SendReport) -> int:
    answered = {a.document for a in report.answered}
    return sum(1 for p in report.taken if p not in answered)


@click.command("status")
@click.argument("track")
@click.option("--env", "env", default="habilitacion", show_default=True, help="habilitacion or produccion.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save DIAN's ApplicationResponses in this folder.")
@client_options
@polling_options(wait=0.0)
@at_option
@json_option
@pass_app
def status(app: AppContext, track: str, env: str, out_dir: Path | None, url: str | None, nit: str | None,
           serial: str | None, store: Path | None, timeout: float, password_file: Path | None, wait: float,
           poll_interval: float) -> None:
    """Ask DIAN about a document (its CUFE/CUDE/CUNE: GetStatus) or a batch (its ZipKey: GetStatusZip).

    A ZipKey still being validated is asked again every --poll-interval seconds for --wait seconds
    (by default it is asked once). Exit status 0 when every document asked about was accepted, 1 otherwise.
    """
    from minica.dian.client import request_signer_nit
    from minica.dian.sending import wait_for_zip

    track = track.strip()
    if not track:
        raise InvalidInput("no trackId given", "give a CUFE/CUDE/CUNE or a ZipKey")
    selection = Selection(serial=serial, nit=nit, store=store)
    environment = Environment.parse(env)
    default = None if (nit or serial or store) else request_signer_nit(app.home, environment, app.clock.now())
    client = make_client(app, environment, url=url, nit=default, selection=selection, timeout=timeout,
                         password_file=password_file)
    is_zip = len(track) == _GUID_LENGTH and track.count("-") == 4
    if is_zip:
        found = wait_for_zip(client, track, Polling(interval=poll_interval, wait=wait)) if wait else None
        responses = found if found is not None else client.get_status_zip(track)  # still "98": say so
    else:
        responses = [client.get_status(track)]
    saved = [_save(out_dir, r) for r in responses]
    data = {"url": client.url, "track_id": track, "operation": "GetStatusZip" if is_zip else "GetStatus",
            "documents": [{**r.to_json(), "application_response": str(s) if s else None}
                          for r, s in zip(responses, saved, strict=True)]}

    def human() -> None:
        for response, path in zip(responses, saved, strict=True):
            print_response(response.file_name or track, response, path)

    app.emit(data, human)
    if not all(r.is_valid for r in responses):
        click.get_current_context().exit(1)


def _save(out_dir: Path | None, response: DianResponse) -> Path | None:
    if out_dir is None or response.application_response is None:
        return None
    name = response.file_name or (response.document_key or "documento")[:24]
    target = response_path(out_dir / (Path(name).name + ".xml"))
    try:
        atomic_write(target, response.application_response, mode=0o644)
    except OSError as exc:
        raise MinicaError(f"cannot write {target}: {exc.strerror}", "check --out-dir") from None
    return target
