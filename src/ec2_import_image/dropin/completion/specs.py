"""What completion knows of each option: how many values it takes, its type, values, help.

Built from the parser's own tables (``cli.options``) and the pinned model, so
that completion offers exactly the options the parser accepts, in the
parser's order: an operation's options, then the global options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ec2_import_image.dropin.cli.options import SKELETON_CHOICES, operation_options
from ec2_import_image.dropin.helpdocs.globalopts import global_options
from ec2_import_image.dropin.helpdocs.values import valid_values
from ec2_import_image.dropin.helpdocs.waiters import waiter_options
from ec2_import_image.model import Operation, Shape, load_model
from ec2_import_image.model.doctext import doc_overview

#: nargs of a spec: "0" a flag, "1" one value, "?" an optional value, "*" any number
FLAG, ONE, OPTIONAL, MANY = "0", "1", "?", "*"

_NOTES = re.compile(r"<(note|important|danger)>.*?</\1>", re.DOTALL)

OWN_HELP = {
    "cli-input-json": "Read the parameters from a JSON document (inline or file://)",
    "cli-input-yaml": "Read the parameters from a YAML document (inline or file://)",
    "StartingToken": "Resume after the NextToken of an earlier, truncated output",
    "PageSize": "How many items each call asks the service for",
    "MaxItems": "The most items to print in total",
    "skeleton": "Print a request template (input, yaml-input) or a sample response (output)",
    "wait": "Wait for the import task to finish, then print it (an extension)",
    "max-wait": "The most seconds to wait, 14400 by default (an extension)",
    "max-transient-seconds": "How long polls may keep failing, 300 s by default (an extension)",
}
#: the value type of options of other kinds that take one
OWN_TYPES = {"max-wait": "integer", "max-transient-seconds": "integer"}
PAGING_TYPES = {"StartingToken": "string", "PageSize": "integer", "MaxItems": "integer"}


@dataclass(frozen=True)
class OptionSpec:
    name: str  # "--architecture"
    nargs: str
    type_name: str
    help: str
    #: "global", "member", "cli-input", "paging" or "skeleton"
    kind: str
    choices: tuple[str, ...] = ()
    shape: Shape | None = None
    #: the member's path from the operation (see ``helpdocs.values``)
    path: tuple[str, ...] = ()
    required: bool = False


def summary(html: str) -> str:
    """The first sentence of a documentation string, notes left out."""
    return doc_overview(_NOTES.sub("", html)).strip()


@cache
def global_specs() -> tuple[OptionSpec, ...]:
    return tuple(
        OptionSpec(
            option.name,
            ONE if option.takes_value else FLAG,
            option.type_name,
            option.description.split(". ")[0].rstrip("."),
            "global",
            option.choices,
        )
        for option in global_options()
    )


def _nargs(value: str | None) -> str:
    if value is None:
        return ONE
    return {"?": OPTIONAL, "*": MANY, "+": MANY}.get(value, FLAG)


@cache
def operation_specs(operation_name: str, waiter: bool = False) -> tuple[OptionSpec, ...]:
    """The options of an operation (or of a waiter on it), in the parser's order."""
    operation: Operation = load_model().operation(operation_name)
    required = set(operation.input_shape.required_members) if operation.input_shape else set()
    specs = []
    for option in waiter_options(operation) if waiter else operation_options(operation):
        nargs = _nargs(option.argument().nargs)
        if option.kind == "member" and option.shape is not None and option.member is not None:
            path = (operation.name, option.member)
            specs.append(
                OptionSpec(
                    option.cli_name,
                    nargs,
                    option.shape.type_name,
                    summary(option.shape.documentation),
                    "member",
                    valid_values(option.shape, path),
                    option.shape,
                    path,
                    option.member in required,
                )
            )
        elif option.kind == "paging" and option.member is not None:
            specs.append(
                OptionSpec(
                    option.cli_name,
                    nargs,
                    PAGING_TYPES[option.member],
                    OWN_HELP[option.member],
                    "paging",
                )
            )
        elif option.kind == "skeleton":
            specs.append(
                OptionSpec(
                    option.cli_name,
                    nargs,
                    "string",
                    OWN_HELP["skeleton"],
                    "skeleton",
                    SKELETON_CHOICES,
                )
            )
        elif option.kind in ("cli-input-json", "cli-input-yaml"):
            specs.append(
                OptionSpec(option.cli_name, nargs, "string", OWN_HELP[option.kind], "cli-input")
            )
        else:  # an option kind this table does not describe: what the parser knows
            argument = option.argument()
            flag = argument.action in ("store_true", "store_false")
            specs.append(
                OptionSpec(
                    option.cli_name,
                    nargs,
                    "boolean" if flag else OWN_TYPES.get(option.kind, "string"),
                    OWN_HELP.get(option.kind, ""),
                    option.kind,
                    tuple(argument.choices or ()),
                )
            )
    return tuple(specs)
