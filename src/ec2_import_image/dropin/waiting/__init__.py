"""Waiting for import image tasks (``import-image --wait``, ``ec2 wait image-import-completed``).

``tasks``    the tasks as the waiter reads them: statuses, one-line states, every page of a poll
``faults``   which failed polls are worth another try (transient) and which end the wait
``display``  progress on stderr: a bar on a terminal, one plain line per change elsewhere
``hints``    the commands that resume waiting or cancel, with the options the run used
``waiter``   the loop: polls, back-off, limits, and the failures it ends with

The commands themselves are in ``dropin/commands/wait.py``.
"""
