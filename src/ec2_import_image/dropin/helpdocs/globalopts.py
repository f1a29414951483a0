"""The global options as pages and completions show them: name, type, values, description.

Names, order and valid values come from the parser's own table
(``cli.options.global_arguments``); the types are v2's (``boolean`` for
flags, ``int`` for the two time-outs, ``string`` otherwise); the
descriptions are this project's words.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from ec2_import_image.dropin.cli.argparsing import Argument
from ec2_import_image.dropin.cli.options import global_arguments

_INT_OPTIONS = frozenset({"--cli-read-timeout", "--cli-connect-timeout"})

DESCRIPTIONS: dict[str, str] = {
    "--debug": "Write a log of every step of the call to standard error: the configuration "
    "read, the request as signed and sent, the response received.",
    "--endpoint-url": "Send requests to this URL instead of the endpoint of the region, for "
    "example a VPC endpoint or a local test server.",
    "--no-verify-ssl": "Do not verify the SSL certificate of the endpoint. Connections still "
    "use SSL, but anyone on the path could read and change them.",
    "--no-paginate": "Make a single call and print only the first page of results, instead of "
    "following NextToken until the last page.",
    "--output": "The format of the output. off prints nothing on standard output (the exit "
    "code still tells success or failure).",
    "--query": "A JMESPath expression applied to the response before it is printed, for "
    "example ImportTaskId or ImportImageTasks[].Status.",
    "--profile": "Use this named profile of the configuration and credentials files.",
    "--region": "The AWS Region to send the request to; overrides the environment and the "
    "configuration file.",
    "--version": "Print the version of the tool and exit.",
    "--color": "Whether the table output and structured errors are coloured; auto colours "
    "only on a terminal.",
    "--no-sign-request": "Send the request unsigned; no credentials are looked up.",
    "--ca-bundle": "The file of CA certificates used to verify the endpoint's SSL "
    "certificate; overrides the environment and the configuration file.",
    "--cli-read-timeout": "How many seconds to wait for data on an open connection; 0 waits "
    "forever. The default is 60.",
    "--cli-connect-timeout": "How many seconds to wait for a connection; 0 waits forever. "
    "The default is 60.",
    "--cli-binary-format": "How binary input values are read: base64 (the default) expects "
    "base64 text, raw-in-base64-out takes the bytes as given. fileb:// values are always "
    "read as raw bytes.",
    "--no-cli-pager": "Do not send the output through a pager, even on a terminal.",
    "--cli-auto-prompt": "Complete the command line in an interactive prompt (needs a "
    "terminal), then run it.",
    "--no-cli-auto-prompt": "Never prompt, even when the configuration or AWS_CLI_AUTO_PROMPT "
    "asks for it.",
    "--cli-error-format": "The layout of error messages on standard error. enhanced (the "
    "default) adds the error's extra fields, legacy prints the message alone, and the "
    "others print the error's fields in that output format.",
}


class GlobalOption(NamedTuple):
    name: str
    type_name: str
    choices: tuple[str, ...]
    description: str
    #: whether a value follows the option (``--version`` is a "string" that takes none)
    takes_value: bool


def _type_name(argument: Argument) -> str:
    if argument.action in ("store_true", "store_false"):
        return "boolean"
    return "int" if argument.flags[0] in _INT_OPTIONS else "string"


@cache
def global_options() -> tuple[GlobalOption, ...]:
    """v2's global options in v2's order (``--version`` in its place, after ``--region``)."""
    arguments = {a.flags[0]: a for a in global_arguments()}
    order = list(arguments)
    # v2's table lists --version after --region; the parser adds it last.
    order.remove("--version")
    order.insert(order.index("--region") + 1, "--version")
    return tuple(
        GlobalOption(
            name,
            _type_name(arguments[name]),
            tuple(arguments[name].choices or ()),
            DESCRIPTIONS[name],
            arguments[name].nargs != "0",
        )
        for name in order
    )
