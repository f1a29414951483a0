"""Who works on an entry: claims with an owner and a lease, and when a claim is stale.

Two processes on one machine may run the same manifest (or the same
``vmimport import``).  Each entry is worked on by at most one of them at a
time: a process *claims* it, writing its owner (``host:pid:token``, the token
random per opened database, so two openers in one process differ too) and a
lease expiry into the entry's row.  Claiming is a read-check-write inside one
``BEGIN IMMEDIATE`` transaction, which takes SQLite's write lock before the
read, so two claimers are serialized and the second sees the first's claim.

A claim held by someone else is free to take when:

- its lease has expired (a process renews its leases while it works: every
  write through the claim does, and ``StateDB.hold`` does so in the
  background during long waits), or
- its owner is a process on this host that no longer runs (``kill -9``, a
  crash): a rerun continues at once instead of waiting for the lease.

Every write through a claim checks, in its own transaction, that the claim
is still this process's (fencing): a process that stalled past its lease and
lost the entry to another gets ``LostClaim`` instead of overwriting the new
owner's progress.  Two machines sharing one file over a network file system
are out of scope (SQLite's locking and WAL need one host).
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import NamedTuple


class Owner(NamedTuple):
    """This process, as written into claims."""

    host: str
    pid: int
    token: str

    def encode(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @staticmethod
    def decode(text: str) -> Owner:
        host, pid, token = text.rsplit(":", 2)
        return Owner(host, int(pid), token)

    @staticmethod
    def this_process() -> Owner:
        return Owner(socket.gethostname(), os.getpid(), secrets.token_hex(6))


def process_alive(pid: int) -> bool:
    """Whether a process of this host runs with that id (a zombie counts as ended)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # "pid (comm) state ...": the state follows the last parenthesis
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def is_free(owner: str | None, expires: float | None, now: float, me: Owner) -> bool:
    """Whether a claim row (owner, expiry) may be taken by ``me`` at ``now``."""
    if owner is None:
        return True
    holder = Owner.decode(owner)
    if holder == me:
        return True
    if expires is None or expires <= now:
        return True
    return holder.host == me.host and not process_alive(holder.pid)
