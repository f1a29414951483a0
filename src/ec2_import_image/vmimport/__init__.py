"""``vmimport``: the migration around ``aws ec2 import-image``.

Check a disk and an account before uploading, set up the service role,
explain failures (and, later, upload, import, wait and run batches).  A click
application: one command per module under ``commands/``; the run's state
(injected environment, global options, AWS session) in ``context``; errors
mapped to exit statuses in one table (``errors``).
"""
