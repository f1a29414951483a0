"""Where state databases live by default.

``vmimport import`` keeps its state per user, as the XDG Base Directory
specification puts state (``$XDG_STATE_HOME``, default ``~/.local/state``; a
relative value is ignored, as the specification says).  ``vmimport batch``
keeps it beside the manifest, so the manifest and its progress travel
together: ``web.yaml`` -> ``web.yaml.state.sqlite`` (the full name, so that
``web.yaml`` and ``web.csv`` in one directory do not share a file).
Variables come from the injected environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

STATE_FILE = "state.sqlite"
BATCH_SUFFIX = ".state.sqlite"


def state_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME`` when it is an absolute path, else ``$HOME/.local/state``."""
    configured = environ.get("XDG_STATE_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".local" / "state"


def import_state_path(environ: Mapping[str, str]) -> Path:
    """The state database of ``vmimport import``."""
    return state_home(environ) / "vmimport" / STATE_FILE


def batch_state_path(manifest: Path) -> Path:
    """The default state database of ``vmimport batch MANIFEST`` (``--state`` overrides)."""
    return manifest.with_name(manifest.name + BATCH_SUFFIX)
