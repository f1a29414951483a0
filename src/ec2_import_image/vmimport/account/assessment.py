"""``check_account``: read the account, ask IAM's simulation where it answers, judge.

The one entry point of the account checks for ``vmimport check``: it returns
an ``AccountReport`` (records, problems, ``to_json()``), or raises
``errors.Incomplete`` with a one-line message when the account cannot be
read (no credentials, endpoint unreachable, access denied while reading what
must be checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2_import_image.vmimport.account import judge, reading, simulation
from ec2_import_image.vmimport.account.inputs import AccountInputs
from ec2_import_image.vmimport.account.records import AccountReport
from ec2_import_image.vmimport.errors import Incomplete, VmimportError, from_aws

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

    from ec2_import_image.vmimport.context import Run


def single_attempt_iam(run: Run) -> IAMClient:
    """An IAM client that does not retry: for a call whose failure has a fallback (the
    simulation falls back to the documents; retrying an endpoint that does not implement it
    only waits)."""
    from botocore.config import Config

    return run.client("iam", "single-attempt", Config(retries={"total_max_attempts": 1}))


def check_account(run: Run, inputs: AccountInputs) -> AccountReport:
    """The account checks for one import (see the package's docstring)."""
    try:
        facts = reading.read_account(run, inputs)
        simulated = None
        if facts.role is not None:
            needs = judge.role_needs(inputs, facts)
            iam = single_attempt_iam(run)
            simulated = simulation.simulate(iam, facts.role.arn, needs)
    except VmimportError:
        raise
    except Exception as error:
        known = from_aws(error)
        if known is None:
            raise
        raise Incomplete(known.message) from None
    return judge.judge(inputs, facts, simulated)
