"""At a real terminal (a pseudo-terminal), `minica request new` asks for each field of the form and
for the keystore password twice, without echoing it; a weak password is refused and files nothing."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from support import NOW, PASSWORD, REQUEST_FORM, Cli

from minica.ca.requests.form import FIELDS, LABELS
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """A command on a pseudo-terminal: wait for text, type lines. Every wait is bounded."""

    def __init__(self, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
        for name in ("MINICA_STORE_PASSWORD", "MINICA_HOME", "MINICA_NOW"):
            env.pop(name, None)
        self.process = subprocess.Popen([sys.executable, "-m", "minica", *args], stdin=slave, stdout=slave,
                                        stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""
        self.position = 0  # where the next expect starts looking

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait for ``text`` after what earlier expects matched."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.position:]:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} within {timeout} s; the terminal shows: {self.seen[-500:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the command ended and closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the command ended before {text!r}: {self.seen[-500:]!r}")
                self.seen += chunk.decode("utf-8", "replace")
        self.position = self.seen.index(text, self.position) + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\r").encode("utf-8"))

    def finish(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            assert time.monotonic() < deadline, "the command did not end"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return code


def _answer_form(terminal: Terminal) -> None:
    for key in FIELDS:
        terminal.expect(LABELS[key].capitalize() + ":")
        terminal.type(REQUEST_FORM[key])


def test_request_new_prompts_for_the_form_and_hides_the_password(home: Home) -> None:
    assert Cli(home)("init").exit_code == 0
    terminal = Terminal("--home", str(home.root), "--at", NOW.isoformat(), "request", "new")
    _answer_form(terminal)
    terminal.expect("Keystore password:")
    terminal.type(PASSWORD)
    terminal.expect("Repeat for confirmation:")
    terminal.type("Otra#Clave2026")  # a mismatch asks again
    terminal.expect("do not match")
    terminal.expect("Keystore password:")
    terminal.type(PASSWORD)
    terminal.expect("Repeat for confirmation:")
    terminal.type(PASSWORD)
    terminal.expect("radicado:")
    assert terminal.finish() == 0, terminal.seen
    assert PASSWORD not in terminal.seen and "Otra#Clave2026" not in terminal.seen  # never echoed
    radicado = re.search(r"radicado: (\S+)", terminal.seen)
    assert radicado and REQUEST_FORM["razon_social"] in terminal.seen  # the typed fields do echo
    listed = Cli(home)("request", "list")
    assert radicado.group(1) in listed.output and "radicada" in listed.output


def test_a_weak_password_at_the_prompt_files_nothing(home: Home) -> None:
    assert Cli(home)("init").exit_code == 0
    terminal = Terminal("--home", str(home.root), "--at", NOW.isoformat(), "request", "new")
    _answer_form(terminal)
    terminal.expect("Keystore password:")
    terminal.type("corta")
    terminal.expect("Repeat for confirmation:")
    terminal.type("corta")
    assert terminal.finish() == 2
    assert "error:" in terminal.seen and "Traceback" not in terminal.seen and "corta" not in terminal.seen
    assert "no requests yet" in Cli(home)("request", "list").output
