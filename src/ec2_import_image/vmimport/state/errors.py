"""The state database's failures: each a ``vmimport`` error with a one-line message.

A database that cannot be used (not ours, written by a newer ``vmimport``,
locked for longer than the busy time-out) means the work could not be
completed (exit 3); so does a claim lost to another process.
"""

from __future__ import annotations

from ec2_import_image.vmimport.errors import Incomplete
from ec2_import_image.vmimport.state.records import Holder


class StateError(Incomplete):
    """The state database cannot be used as asked."""


class NotAStateFile(StateError):
    """The file is not a ``vmimport`` state database (another program's, or not SQLite)."""


class NewerSchema(StateError):
    """The database was written by a newer ``vmimport``: it is refused, never rewritten."""

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"state database {path} has schema version {found}, written by a newer vmimport "
            f"(this one reads versions up to {known}): upgrade vmimport, or give another state file"
        )
        self.found = found
        self.known = known


class UnknownEntry(StateError):
    """No entry of that name in the database."""


class Busy(StateError):
    """Another live process holds the entry's claim."""

    def __init__(self, name: str, holder: Holder) -> None:
        super().__init__(f"{name} is being worked on by {holder.describe()}")
        self.name = name
        self.holder = holder


class LostClaim(StateError):
    """This process's claim was taken over (its lease expired): it must stop working on it."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name}: another process took over this entry (this process's lease expired)"
        )
        self.name = name
