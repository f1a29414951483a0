"""Waiting for import image tasks: ``import-image --wait`` and ``ec2 wait image-import-completed``.

Both are extensions: the AWS CLI has no waiter for image imports, so scripts
poll, often for a StatusMessage of "completed" that a completed task never
has.  The loop itself, its limits and the way it ends are in
``dropin/waiting/``; this module starts it for each command.

``import-image --wait`` names its task on stderr as soon as ImportImage
answers (a script that fails later can still find, resume or cancel it), and
explains an ImportImage error that users commonly meet (the service role,
the bucket's Region...) from the shared table of known failures; without
``--wait`` the error stays v2's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ec2_import_image.awserrors import error_message
from ec2_import_image.dropin.errors import ExitStatus, GeneralError
from ec2_import_image.dropin.params.build import CallPlan
from ec2_import_image.dropin.waiting.waiter import Limits, Selection, Waiter, explanation
from ec2_import_image.environment import Environment
from ec2_import_image.importtasks.tasks import Describe


def wait_command(
    describe: Describe, plan: CallPlan, env: Environment, reach: Sequence[str]
) -> ExitStatus:
    """``aws ec2 wait image-import-completed``: silent on stdout, as v2's waiters are."""
    params = plan.params
    selection = Selection(
        params,
        tuple(str(name) for name in params.get("ImportTaskIds") or ()),
        filtered=bool(params.get("Filters")),
    )
    Waiter(describe, env, Limits.given(plan.wait_limits), reach).wait(selection)
    return ExitStatus.SUCCESS


def import_and_wait(
    start: Callable[[], Mapping[str, Any]],
    describe: Describe,
    plan: CallPlan,
    env: Environment,
    reach: Sequence[str],
) -> dict[str, Any]:
    """``import-image --wait``: start the import, wait for it, return the final task."""
    answer = _start(start)
    name = answer.get("ImportTaskId")
    if not name:
        raise GeneralError(
            "ImportImage answered without an ImportTaskId: there is no task to wait for."
        )
    env.stderr.write(f"Import task {name} started; waiting until it is completed.\n")
    env.stderr.flush()
    selection = Selection({"ImportTaskIds": [name]}, (str(name),), own=True)
    tasks = Waiter(describe, env, Limits.given(plan.wait_limits), reach).wait(
        selection, initial=[answer]
    )
    return dict(tasks[0])


def _start(start: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """Call ImportImage; a service error users commonly meet gets its cause and remedy."""
    from botocore.exceptions import ClientError

    try:
        return start()
    except ClientError as error:
        from ec2_import_image.dropin.service.errors import translate

        translated = translate(error)
        lines = explanation(error_message(error))
        if translated is None or not lines:
            raise
        translated.message = "\n".join([translated.message, *lines])
        raise translated from None
