"""Where the store lives: ``--db``, else ``$QUEUECTL_DB``, else one file per user."""

from __future__ import annotations

import os
import re
from pathlib import Path

from queuectl_core.errors import InvalidInput

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/queuectl/queuectl.db`` (``~/.local/share``): the same from any directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser().absolute() / "queuectl" / "queuectl.db"


def resolve_db(cli_value: str | None) -> str:
    """The store URL or path to open."""
    value = cli_value or os.environ.get("QUEUECTL_DB")
    if value:
        scheme = _SCHEME.match(value)
        if scheme and scheme.group(1).lower() not in ("postgresql", "postgres", "sqlite"):
            raise InvalidInput(
                f"unknown store URL scheme {scheme.group(1)!r} in {value!r} "
                "(use a file path, sqlite://PATH or postgresql://...)"
            )
        if value.startswith(("postgresql://", "postgres://")):
            return value
        return str(Path(value.removeprefix("sqlite://")).expanduser().absolute())
    return str(default_db_path())
