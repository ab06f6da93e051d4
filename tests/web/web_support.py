"""Helpers for the web-page tests (importable as ``web_support``): a real ``minica serve`` app on
loopback at a fixed clock, and a headless Chromium (Debian's, driven by Selenium) with bounded waits."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))  # for ``server_support``
from server_support import free_port, running  # noqa: E402

from minica.clock import Clock
from minica.server.app import ServerSettings, create_app
from minica.storage.home import Home

TOKEN = "web-token-0123456789abcdef"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: The longest any page condition is waited for (a page answers in milliseconds; approving issues a
#: certificate in a worker, bounded by the server's 30 s request timeout).
WAIT = 30.0
#: Chromium as root in a container: no sandbox, no GPU, nothing fetched from the internet.
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--window-size=1280,1000")  # fmt: skip


@dataclass
class Served:
    url: str
    port: int


@contextlib.contextmanager
def serve(home: Home, clock: Clock, *, port: int | None = None, workers: int = 1,
          token: str = TOKEN) -> Iterator[Served]:
    """``minica serve``'s app over ``home`` at ``clock``, on 127.0.0.1 and ``port`` (default a free
    one), in a thread."""
    app = create_app(ServerSettings(home=home, clock=clock, token=token, workers=workers))
    port = port or free_port()
    try:
        with running(app, port):
            yield Served(f"http://127.0.0.1:{port}", port)
    finally:
        app.close()


def chromium(profile: Path) -> webdriver.Chrome:
    """A headless Chromium with a fresh profile folder ``profile``."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        raise RuntimeError("chromium and chromedriver are missing: run ./scripts/test.sh (it installs them)")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile}")
    # The browser keeps the machine's own clock: the pages use the server's fixed clock, and Chromium
    # does not start under the shifted run's libfaketime (see scripts/test.sh).
    clean = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=clean), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


class Browser:
    """A few verbs over a Selenium driver; every wait is explicit and bounded by :data:`WAIT`."""

    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver = driver
        self.base = base

    def go(self, path: str) -> None:
        self.driver.get(path if path.startswith("http") else self.base + path)
        self.wait_for("body")

    def wait_for(self, css: str) -> WebElement:
        return WebDriverWait(self.driver, WAIT).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return self.wait_for(css).text

    def fill(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def fill_all(self, values: dict[str, str], within: str = "") -> None:
        """Type each value into its field (by id, inside ``within``); a select gets the option."""
        for name, value in values.items():
            css = f"{within} #{name}".strip()
            if self.find(css).tag_name == "select":
                self.choose(css, value)
            else:
                self.fill(css, value)

    def choose(self, css: str, value: str) -> None:
        Select(self.find(css)).select_by_value(value)

    def wait_option(self, css: str, value: str) -> None:
        """Wait until the select ``css`` offers ``value`` (filled by the page's script)."""
        WebDriverWait(self.driver, WAIT).until(
            lambda d: any(o.get_attribute("value") == value for o in Select(self.find(css)).options))

    def submit(self, css: str) -> None:
        """Click the button ``css`` and wait for the next page."""
        page = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, WAIT).until(lambda _d: _left(page))
        self.wait_for("body")

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)

    def cookie(self) -> str:
        found = self.driver.get_cookie("minica_sesion")
        assert found is not None
        return str(found["value"])


def _left(page: WebElement) -> bool:
    """Whether the browser has left ``page`` (its ``html`` element). While a navigation swaps
    documents chromedriver may answer "Node with given id does not belong to the document" as
    an unknown error rather than a stale reference (seen on a loaded machine): gone, too."""
    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


def temporary_password(text: str) -> str:
    match = re.search(r"Contraseña temporal: (\S+)", text)
    assert match, text
    return match.group(1)


def welcome_password(home: Home, radicado: str) -> str:
    """The temporary password of a request's last welcome e-mail (from the outbox folder)."""
    from minica.ca.requests import outbox
    from minica.storage.database import Database

    with Database.open(home) as db:
        entries = [e for e in outbox.entries(db.connection, home, radicado) if e.kind == "bienvenida"]
    return temporary_password(outbox.message_text(entries[-1].path.read_bytes()))


def complete_request(home: Home, clock: Clock, form: dict[str, str], store_password: str,
                     platform_password: str) -> str:
    """A request filed, signed into, filled and finalized through the library; its radicado."""
    from minica.ca.requests import process
    from minica.ca.requests.pdf import simple_pdf

    filed = process.file_form(home, clock, form, store_password, store_password)
    process.login(home, clock, filed.radicado, filed.platform_user, welcome_password(home, filed.radicado),
                  platform_password)  # fmt: skip
    pdf = simple_pdf("Documento de prueba", ["Contenido del documento."])
    for kind in ("rut", "camara_comercio", "documento_identidad"):
        process.attach_data(home, clock, filed.radicado, kind, f"{kind}.pdf", pdf)
    for name in ("solicitante", "empresa", "representante", "documentos"):
        process.save_section(home, clock, filed.radicado, name)
    process.finalize(home, clock, filed.radicado)
    return filed.radicado
