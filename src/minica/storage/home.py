"""The home: the one folder holding a CA, its keystores, its database and its outbox.

``--home`` wins, then ``$MINICA_HOME``, then ``$XDG_DATA_HOME/minica`` (``~/.local/share/minica``).
A second home is a second, independent CA.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from minica.environment import Environment


class Home(NamedTuple):  # not a dataclass: cheaper to define, at every start of minica
    """Paths inside a minica home. Creating the object touches nothing on disk."""

    root: Path

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def root_cert_path(self) -> Path:
        return self.ca_dir / "root.crt"

    @property
    def issuing_cert_path(self) -> Path:
        return self.ca_dir / "issuing.crt"

    @property
    def root_key_path(self) -> Path:
        return self.ca_dir / "root.key"

    @property
    def issuing_key_path(self) -> Path:
        return self.ca_dir / "issuing.key"

    @property
    def config_path(self) -> Path:
        return self.ca_dir / "config.json"

    @property
    def db_path(self) -> Path:
        return self.root / "minica.db"

    @property
    def stores_root(self) -> Path:
        return self.root / "stores"

    def stores_dir(self, env: Environment) -> Path:
        return self.stores_root / env.value

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def requests_dir(self) -> Path:
        return self.root / "requests"

    @property
    def signed_dir(self) -> Path:
        """Where ``quickstart`` puts the documents it signs."""
        return self.root / "signed"

    def relative(self, path: Path) -> str:
        """``path`` as stored in the database: relative to the home (which may move)."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, stored: str) -> Path:
        """A path from the database: relative ones are inside the home; absolute ones (homes made
        before paths were stored relative) as they were."""
        return self.root / stored

    def has_ca(self) -> bool:
        return self.issuing_cert_path.exists() and self.root_cert_path.exists()


def default_home_path() -> Path:
    """``$MINICA_HOME``, else ``$XDG_DATA_HOME/minica``, else ``~/.local/share/minica``."""
    if os.environ.get("MINICA_HOME"):
        return Path(os.environ["MINICA_HOME"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg).expanduser() / "minica"


def resolve_home(option: str | os.PathLike[str] | None) -> Home:
    """The home for a command: the ``--home`` option when given, else the default."""
    # Absolute from the start: a relative --home means "from here", whatever a later step's folder.
    return Home((Path(option).expanduser() if option else default_home_path()).absolute())
