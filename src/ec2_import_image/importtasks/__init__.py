"""Import image tasks as every program reads them, shared below the programs.

``tasks``: their statuses, a one-line state, every page of a DescribeImportImageTasks
poll.  ``faults``: which failed calls are worth another try (throttling, 5xx,
connection errors, time-outs, malformed replies, as botocore's standard retry
mode judges them) and which are permanent.  ``pacing``: the one pacing policy
of every wait and retry (delays, failures borne, the neutral ``PatienceExhausted``).
The drop-in's waiter and ``vmimport``'s imports, copies and snapshot writes build
on them.
"""
