"""``vmimport setup-role``: create or repair the VM Import service role, idempotently.

The plan (``account.setup``) is made first; ``--dry-run`` prints it with the
documents and stops there.  A second run finds nothing to change and says so.
The report goes to stdout (for a person, decorated only on a terminal; with
``--json``, a summary for programs); hints go to stderr.  Exit status 1 when
the role still fails the account checks afterwards (a Deny in another of its
policies, which this command does not remove).  Such a role is never called
set up: the report names each Deny that blocks it (its policy, its statement's
index and Sid) and what it denies.
"""

from __future__ import annotations

import json
from typing import Any

import click

from ec2_import_image import diagnostics
from ec2_import_image.diagnostics import Diagnostic, Keys, Severity, to_json
from ec2_import_image.shellcommand import command
from ec2_import_image.vmimport import cli
from ec2_import_image.vmimport.account.inputs import DEFAULT_ROLE
from ec2_import_image.vmimport.account.requirements import POLICY_NAME
from ec2_import_image.vmimport.account.setup import (
    Blocker,
    Change,
    DocumentAction,
    RolePlan,
    apply_plan,
    blockers,
    bucket_name,
    plan_role,
    remaining_problems,
)
from ec2_import_image.vmimport.context import Run
from ec2_import_image.vmimport.errors import ExitStatus

#: the Region whose partition the ARNs use when none is configured (IAM itself is global)
FALLBACK_REGION = "us-east-1"

_DONE = {
    Change.CREATE_ROLE: ("Created", "Would create"),
    Change.UPDATE_TRUST: ("Repaired", "Would repair"),
    Change.PUT_POLICY: ("Wrote", "Would write"),
}
_WHAT = {
    Change.CREATE_ROLE: "the role {role}, trusting vmie.amazonaws.com",
    Change.UPDATE_TRUST: "the trust policy of {role}",
    Change.PUT_POLICY: "the inline policy {policy} of {role}",
}


def _summary(
    plan: RolePlan, dry_run: bool, problems: tuple[Diagnostic, ...], blocked: tuple[Blocker, ...]
) -> dict[str, Any]:
    after = plan.role_after()
    return {
        "role": {
            "name": plan.inputs.role_name,
            "arn": after.arn,
            "existed": plan.current is not None,
        },
        "dry_run": dry_run,
        "changed": plan.changed,
        "changes": [step.to_json() for step in plan.steps],
        "trust_policy": {
            "action": plan.trust_action.value,
            "reason": plan.trust_reason,
            "document": after.trust_document,
        },
        "role_policy": {
            "name": POLICY_NAME,
            "action": plan.policy_action.value,
            "reason": plan.policy_reason,
            "buckets": list(plan.buckets),
            "kms_keys": list(plan.kms_key_arns),
            "document": plan.policy_document,
        },
        "problems": [to_json(problem, Keys.CHECK) for problem in problems],
        "blocked_by": [blocker.to_json() for blocker in blocked],
    }


def _document(run: Run, title: str, document: Any, written: bool) -> None:
    console = run.console()
    console.print()
    console.print(title + (" (would be written)" if written else ""), style="bold", markup=False)
    console.print(json.dumps(document, indent=2), markup=False, highlight=False)


def _verdict(plan: RolePlan, failing: bool, blocked: tuple[Blocker, ...]) -> list[str]:
    """Whether the role is set up, and what blocks it when not: never "set up" while the
    checks still fail."""
    if not failing:
        return [] if plan.changed else ["Nothing to change: the role is already set up."]
    head = (
        "Nothing setup-role can change, yet the role is not set up"
        if not plan.changed
        else "The role is still not set up"
    )
    if not blocked:
        return [f"{head}: it still fails the checks below."]
    lines = [
        f"{head}: a Deny outside its policy {POLICY_NAME} blocks it (setup-role changes only "
        "that policy, and does not remove a Deny it did not write):"
    ]
    by_statement: dict[str, list[str]] = {}
    for blocker in blocked:
        by_statement.setdefault(blocker.statement, []).append(
            f"{blocker.action} on {blocker.resource}"
        )
    lines += [f"  {where} denies {', '.join(what)}" for where, what in by_statement.items()]
    return lines


def _report(
    run: Run,
    plan: RolePlan,
    dry_run: bool,
    problems: tuple[Diagnostic, ...],
    blocked: tuple[Blocker, ...],
) -> None:
    console = run.console()

    def line(text: str, style: str | None = None) -> None:
        console.print(text, style=style, markup=False, highlight=False)

    role = plan.inputs.role_name
    line(f"Role {role} ({plan.role_after().arn})", "bold")
    if dry_run:
        line("Dry run: nothing was changed.")
    for step in plan.steps:
        verb = _DONE[step.change][1 if dry_run else 0]
        line(f"  {verb} {_WHAT[step.change].format(role=role, policy=POLICY_NAME)}: {step.why}.")
    if plan.trust_action is DocumentAction.KEEP:
        line(f"  Trust policy unchanged: {plan.trust_reason}.")
    if plan.policy_action is DocumentAction.KEEP:
        line(f"  Inline policy {POLICY_NAME} unchanged: {plan.policy_reason}.")
    line(f"  Buckets granted: {', '.join(plan.buckets)}")
    if plan.kms_key_arns:
        line(f"  KMS keys granted: {', '.join(plan.kms_key_arns)}")
    failing = any(p.severity is Severity.ERROR for p in problems)
    for text in _verdict(plan, failing, blocked):
        line(text)
    if dry_run:
        trust = plan.role_after().trust_document
        _document(run, "Trust policy", trust, plan.trust_action is not DocumentAction.KEEP)
        written = plan.policy_action is not DocumentAction.KEEP
        _document(run, f"Inline policy {POLICY_NAME}", plan.policy_document, written)
    for problem in problems:
        head, *rest = diagnostics.lines(problem)
        line(head, "bold")
        for text in rest:
            line(text)


@click.command(
    "setup-role",
    short_help="Create or repair the VM Import service role.",
    epilog="The inline policy only grows: buckets and keys it already grants are kept. To take "
    f"one away, edit or delete the role's inline policy {POLICY_NAME}.",
)
@click.option(
    "--bucket",
    "buckets",
    multiple=True,
    required=True,
    metavar="BUCKET",
    help="A bucket VM Import reads disk images from (repeat for several).",
)
@click.option(
    "--role-name",
    default=DEFAULT_ROLE,
    show_default=True,
    metavar="NAME",
    help="The service role (ImportImage's RoleName).",
)
@click.option(
    "--kms-key-id",
    metavar="KEY",
    help="A KMS key (id, ARN or alias) the imports use: the role is granted its use.",
)
@click.option("--dry-run", is_flag=True, help="Print the documents and what would change.")
@cli.command
def setup_role(
    run: Run, buckets: tuple[str, ...], role_name: str, kms_key_id: str | None, dry_run: bool
) -> int:
    """Create the VM Import service role, or repair it: its trust policy (VM Import may assume
    it, with the external id vmimport) and one inline policy granting the S3, EC2 and KMS
    actions the service uses on the named buckets and key."""
    names = tuple(dict.fromkeys(bucket_name(b) for b in buckets))
    region = run.region or FALLBACK_REGION
    reach = run.reach()
    plan = plan_role(
        run, role_name=role_name, buckets=names, kms_key_id=kms_key_id, region=region, reach=reach
    )
    if not dry_run:
        apply_plan(run, plan)
    problems = remaining_problems(plan)
    blocked = blockers(plan)
    if run.options.json:
        document = _summary(plan, dry_run, problems, blocked)
        run.env.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _report(run, plan, dry_run, problems, blocked)
        if plan.changed and not dry_run:
            hint = run.console(stderr=True)
            check = command("vmimport", "check", f"s3://{names[0]}/KEY", reach=reach)
            hint.print(
                f"hint: check a disk (KEY: its key) against the role with: {check}",
                markup=False,
                highlight=False,
            )
    if any(p.severity is Severity.ERROR for p in problems):
        return ExitStatus.PROBLEMS
    return ExitStatus.OK
