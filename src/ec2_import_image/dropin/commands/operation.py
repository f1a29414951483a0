"""Run one operation: build the request, then skeleton, send or page, wait, then render.

Everything from the session's creation to the last page rendered runs inside
``Environment.process_environment()``: botocore reads some settings from the
process environment only (docs/architecture.md lists them), and they must be
the run's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2_import_image.dropin.cli.commandline import CommandKind, Invocation
from ec2_import_image.dropin.errors import ExitStatus, stdout_writes
from ec2_import_image.dropin.params.build import CallPlan, build_call
from ec2_import_image.dropin.runstate import RunState

if TYPE_CHECKING:
    from botocore.client import BaseClient


def run_operation(invocation: Invocation, state: RunState) -> ExitStatus:
    env = state.env
    operation = invocation.operation
    assert operation is not None
    plan = build_call(invocation, env.environ, warn=env.stderr.write)
    if plan.skeleton in ("input", "yaml-input"):
        from ec2_import_image.dropin.params import skeleton

        with stdout_writes():
            if plan.skeleton == "input":
                skeleton.write_input_json(operation.input_shape, env.stdout)
            else:
                skeleton.write_yaml_input(operation.input_shape, env.stdout)
        return ExitStatus.SUCCESS

    with env.process_environment():
        return _send(invocation, plan, state)


def _send(invocation: Invocation, plan: CallPlan, state: RunState) -> ExitStatus:
    from ec2_import_image.dropin.service.session import create_client, create_session

    env = state.env
    operation = invocation.operation
    assert operation is not None
    options = invocation.globals
    session = create_session(options, env.environ, state.debug_log)
    client = create_client(session, options)
    waits = invocation.kind is CommandKind.WAIT or (plan.wait and plan.skeleton is None)
    if not waits:
        result = _call(client, operation.name, plan)
    else:
        from ec2_import_image.dropin.commands.wait import import_and_wait, wait_command
        from ec2_import_image.dropin.waiting.hints import reach_options

        describe = getattr(client, "describe_import_image_tasks")  # noqa: B009 - built at run time
        reach = reach_options(options, client.meta.region_name, env.environ)
        if invocation.kind is CommandKind.WAIT:
            return wait_command(describe, plan, env, reach)
        result = import_and_wait(
            lambda: _call(client, operation.name, plan), describe, plan, env, reach
        )
    output = options.output or session.get_config_variable("output")
    _render(str(output), operation.name, result, invocation, state)
    return ExitStatus.SUCCESS


def _call(client: BaseClient, operation_name: str, plan: CallPlan) -> Any:
    from botocore import xform_name

    method = xform_name(operation_name)
    params = dict(plan.params)
    if plan.paging:
        # v2 passes the paging options on even when it does not page (--no-paginate
        # with a zero, paging tokens in a CLI input document, the output skeleton),
        # and botocore's validation then refuses PaginationConfig
        params["PaginationConfig"] = dict(plan.paging)
    if plan.skeleton == "output":
        return _stubbed_call(client, operation_name, method, params)
    if plan.paginate and client.can_paginate(method):
        return client.get_paginator(method).paginate(**params)
    return getattr(client, method)(**params)


def _stubbed_call(
    client: BaseClient, operation_name: str, method: str, params: dict[str, Any]
) -> Any:
    """``--generate-cli-skeleton output``: validate the input, answer a sample response."""
    from botocore.stub import Stubber

    from ec2_import_image.dropin.params.skeleton import output_sample
    from ec2_import_image.model import load_model

    sample = output_sample(load_model().operation(operation_name).output_shape)
    with Stubber(client) as stubber:
        stubber.add_response(method, sample)
        return getattr(client, method)(**params)


def _render(
    output: str, operation_name: str, result: Any, invocation: Invocation, state: RunState
) -> None:
    from ec2_import_image.dropin.pager import output_stream
    from ec2_import_image.dropin.render import render

    env = state.env
    color_setting = invocation.globals.color
    color = color_setting == "on" or (color_setting == "auto" and bool(env.stdout_isatty))
    if output == "table" and color:
        # v2 builds its coloured table formatter here, and with it colorama's
        # resetting wrappers of stdout and stderr (render/autoreset.py)
        from ec2_import_image.dropin.render.autoreset import autoreset

        env.stdout = autoreset(env.stdout)
        env.stderr = autoreset(env.stderr)
    with output_stream(env, state.config, invocation.globals) as stream:
        render(
            output,
            operation_name,
            result,
            stream,
            query=invocation.globals.query_expression,
            color=color,
            terminal_width=env.terminal_width(),
        )
