"""The state of one run of the drop-in, in one object.

A run needs, besides its injected ``Environment``: the configuration files as
it read them (each file read once per run, ``awsconfig.files.ConfigFiles``),
its debug log when ``--debug`` asked for one (whose formatter learns the
secrets to redact as the run meets them), and its global options as resolved
so far (the error report formats by them, even for an error raised halfway
through the aliases).  Nothing of this is module state: two runs in one
process, one after the other or an embedding program's, share nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.awsconfig.files import ConfigFiles
from ec2_import_image.environment import Environment

if TYPE_CHECKING:
    from ec2_import_image.debuglog import RedactingFormatter
    from ec2_import_image.dropin.cli.globalopts import GlobalOptions


class RunState:
    """One run: its environment, configuration files, debug log and global options."""

    __slots__ = ("config", "debug_log", "env", "globals")

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.config = ConfigFiles(env.environ)
        #: the formatter of the run's debug log (``--debug``), None without one
        self.debug_log: RedactingFormatter | None = None
        #: the global options once the first pass found them, resolved, aliases laid over
        self.globals: GlobalOptions | None = None
