"""S3 object keys of uploaded disks.

``vmimport import`` names an object by its content: ``PREFIX<first 16 hex of
the SHA-256>/<file name>``, so the same disk uploaded twice lands on the same
key (and is found there), and two disks never share a key.  ``vmimport batch``
names it by entry: ``PREFIX<entry name>/<file name>``, so entries sharing a file
name never collide.  The upload takes the key as a parameter.
"""

from __future__ import annotations

from pathlib import PurePath

DEFAULT_PREFIX = "vmimport/"


def content_key(prefix: str, sha256: str, path: str | PurePath) -> str:
    """``PREFIX<first 16 hex of the SHA-256>/<file name>``."""
    return f"{prefix}{sha256[:16]}/{PurePath(path).name}"


def entry_key(prefix: str, entry_name: str, path: str | PurePath) -> str:
    """``PREFIX<entry name>/<file name>``."""
    return f"{prefix}{entry_name}/{PurePath(path).name}"
