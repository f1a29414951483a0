"""``--cli-auto-prompt``: when v2 prompts for the command line, and what it does without a terminal.

v2 decides before parsing anything, from the raw words: ``help`` or
``--version`` anywhere turn prompting off, ``--no-cli-auto-prompt`` turns it
off, ``--cli-auto-prompt`` turns it on (both together are an error), else
``AWS_CLI_AUTO_PROMPT`` / the profile's ``cli_auto_prompt`` (``on``,
``on-partial``), else off.  ``on-partial`` runs the command first and prompts
only when its parameters were refused.  On a terminal the prompt is
``completion.autoprompt``; without one, v2's warning and exit 255.
"""

from __future__ import annotations

import enum

from ec2_import_image.awsconfig.files import ConfigFiles
from ec2_import_image.dropin.errors import GeneralError, ParamValidationError
from ec2_import_image.environment import Environment

ON = "--cli-auto-prompt"
OFF = "--no-cli-auto-prompt"


class AutoPrompt(enum.Enum):
    """v2's auto-prompt modes (any other configured value prompts never)."""

    OFF = "off"
    ON = "on"
    #: run first, prompt only when the parameters were refused
    ON_PARTIAL = "on-partial"


def auto_prompt_mode(argv: list[str], config: ConfigFiles) -> AutoPrompt:
    if ON in argv and OFF in argv:
        raise ParamValidationError(
            "Both --cli-auto-prompt and --no-cli-auto-prompt cannot be specified at the same time."
        )
    if "help" in argv or "--version" in argv or OFF in argv:
        return AutoPrompt.OFF
    if ON in argv:
        return AutoPrompt.ON
    value = (config.setting("cli_auto_prompt", "AWS_CLI_AUTO_PROMPT") or "off").lower()
    try:
        return AutoPrompt(value)
    except ValueError:
        return AutoPrompt.OFF


def prompt_for_args(argv: list[str], env: Environment) -> list[str]:
    """Ask the user to complete the command line; needs a terminal on stdin.

    On a terminal, the interactive prompt (``completion.autoprompt``) starts
    from ``argv`` and returns the words of the line the user ran.  Ctrl-C in
    the prompt writes the line typed so far to stderr, as v2 does, and ends
    the run as an interruption (exit 130).
    """
    if not env.stdin_isatty:
        # v2's prompt library warns, then fails reading from a non-terminal with
        # an error that has no message.
        env.stderr.write("Warning: Input is not a terminal (fd=0).\n")
        raise GeneralError("")
    from ec2_import_image.dropin.completion.autoprompt import prompt_command_line

    return prompt_command_line(argv, env)
