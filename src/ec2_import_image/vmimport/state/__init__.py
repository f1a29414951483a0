"""The state database of ``vmimport import`` and ``vmimport batch`` (one schema for both).

- ``db``: ``StateDB``, the interface (open, open read-only, entries, claims,
  steps, disks, the hash cache) and ``DiskJournal`` (what the upload writes
  through);
  built on ``entries`` (specs, claims, phases, attempts, history),
  ``snapshots`` (each disk's EBS snapshot and its acknowledged blocks, and
  ``SnapshotJournal``, what the direct road writes through), ``snapshottasks``
  (the snapshot road's ImportSnapshot task per disk and attempt) and ``store``
  (connection, durability, transactions);
- ``records``: the typed records in and out;
- ``schema``: tables, version, forward migration;
- ``claims``: owners, leases and stale claims (two processes, one manifest);
- ``paths``: default locations;
- ``errors``: what cannot be used, and why.
"""
