"""The request model: parsed options -> the parameters of one call.

Options are visited in the option table's order (the model's member order),
so that parameters given as options are serialized in model order; values read
from ``--cli-input-json``/``--cli-input-yaml`` are added afterwards for keys
the options did not set, in the order the input gave them.  That is the order
botocore serializes them in, and the order v2 sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ec2_import_image.dropin.cli.commandline import CommandKind, Invocation
from ec2_import_image.dropin.cli.options import WAIT_LIMIT_KINDS, OptionKind
from ec2_import_image.dropin.errors import ParamValidationError
from ec2_import_image.dropin.params.cli_input import load_cli_input
from ec2_import_image.dropin.params.unpack import load_file_value, unpack_value

CLI_INPUT_KINDS = (OptionKind.CLI_INPUT_JSON, OptionKind.CLI_INPUT_YAML)


class CallPlan:
    """What to send: the parameters, paging settings and what to do instead of sending."""

    def __init__(self, *, paginate: bool = True) -> None:
        self.params: dict[str, Any] = {}
        #: StartingToken / PageSize / MaxItems given by the user
        self.paging: dict[str, Any] = {}
        #: the value of --generate-cli-skeleton (input, output, yaml-input), if given
        self.skeleton: str | None = None
        #: whether v2 would page automatically (--no-paginate and manual tokens turn it off)
        self.paginate = paginate
        #: ``--wait`` (an extension): wait for the import task to finish after the call
        self.wait = False
        #: ``--max-wait``, ``--max-transient-seconds`` as given (seconds), by option kind
        self.wait_limits: dict[OptionKind, int] = {}


NON_POSITIVE_MAX_ITEMS = (
    "warning: Non-positive values for --max-items may result in undefined behavior.\n"
)


def build_call(
    invocation: Invocation,
    environ: Mapping[str, str],
    warn: Callable[[str], object] | None = None,
) -> CallPlan:
    """Convert every given option's value, then merge the CLI input document.

    ``environ`` holds the run's variables (files named by ``file://`` values);
    ``warn`` receives v2's warnings (on stderr in v2) at the point v2 prints them.
    """
    assert invocation.operation is not None
    plan = CallPlan(paginate=invocation.globals.paginate)
    input_tokens = _paging_input_tokens(invocation)
    _check_paging(invocation, plan, input_tokens)
    cli_input: tuple[str, str] | None = None
    given_inputs = [
        o
        for o in invocation.options
        if o.kind in CLI_INPUT_KINDS and invocation.values.get(o.dest) is not None
    ]
    done: set[str] = set()
    for option in invocation.options:
        value = invocation.values.get(option.dest)
        if value is None or option.dest in done:
            continue
        done.add(option.dest)
        value = load_file_value(option.cli_name, value, environ)
        kind = option.kind
        if kind is OptionKind.MEMBER:
            assert option.shape is not None and option.member is not None
            if option.shape.type_name != "boolean":
                value = unpack_value(option.cli_name, option.shape, value, environ)
            plan.params[option.member] = value
        elif kind is OptionKind.PAGING:
            assert option.member is not None
            if option.member == "MaxItems" and int(value) <= 0 and warn is not None:
                warn(NON_POSITIVE_MAX_ITEMS)
            plan.paging[option.member] = value
        elif kind is OptionKind.SKELETON:
            plan.skeleton = value
        elif kind is OptionKind.WAIT:
            plan.wait = bool(value)
        elif kind in WAIT_LIMIT_KINDS:
            plan.wait_limits[kind] = int(value)
        elif kind in CLI_INPUT_KINDS:
            if len(given_inputs) != 1:
                raise ParamValidationError("Only one --cli-input- parameter may be specified.")
            cli_input = (option.name, invocation.values[option.dest])
    _check_wait_limits(invocation, plan)
    if cli_input is not None:
        loaded = load_cli_input(*cli_input, environ)
        for key, value in loaded.items():
            plan.params.setdefault(key, value)
    if any(token in plan.params for token in input_tokens):
        plan.paginate = False
    return plan


def _check_wait_limits(invocation: Invocation, plan: CallPlan) -> None:
    """The limits of waiting mean nothing without ``--wait`` (the waiter always waits)."""
    if plan.wait or invocation.kind is CommandKind.WAIT or not plan.wait_limits:
        return
    given = ", ".join(o.cli_name for o in invocation.options if o.kind in plan.wait_limits)
    raise ParamValidationError(f"{given} can only be used with --wait")


def _paging_input_tokens(invocation: Invocation) -> list[str]:
    """The operation's own paging members (NextToken, MaxResults), if it pages."""
    assert invocation.operation is not None
    config = invocation.operation.paginator
    if config is None:
        return []
    tokens = config["input_token"]
    names = list(tokens) if isinstance(tokens, list) else [tokens]
    if "limit_key" in config:
        names.append(config["limit_key"])
    return [str(name) for name in names]


def _check_paging(invocation: Invocation, plan: CallPlan, input_tokens: list[str]) -> None:
    """Giving the API's own paging options turns v2's automatic paging off."""
    members = {o.member: o.dest for o in invocation.options if o.kind is OptionKind.MEMBER}
    if any(invocation.values.get(members[token]) is not None for token in input_tokens):
        plan.paginate = False
    if plan.paginate:
        return
    used = [
        o.cli_name
        for o in invocation.options
        if o.kind is OptionKind.PAGING and invocation.values.get(o.dest)
    ]
    if used:
        raise ParamValidationError(
            f"Cannot specify --no-paginate along with pagination arguments: {', '.join(used)}"
        )
