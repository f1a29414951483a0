"""Whether the service role's own policies refuse VM Import what an import needs.

The needs are the shared list ``vmimport check`` judges (``iampolicy.servicerole``):
S3 reads of each disk's bucket and object, the EC2 actions that register the
image, KMS use of the request's key.  The role's inline and attached policies
are evaluated offline (``iampolicy.evaluate``).  The emulator refuses only
what is certain: an explicit Deny, or no Allow where nothing else could grant
it.  A bucket policy or a key policy may grant the role what its own policies
do not, so an S3 need on a bucket with a policy, or a KMS need, is refused
only on an explicit Deny; a policy that cannot be parsed, or a condition that
cannot be decided offline, refuses nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ec2_import_image.iampolicy import arn
from ec2_import_image.iampolicy.document import PolicyDocument, PolicyError, parse
from ec2_import_image.iampolicy.evaluate import Decision, Request, evaluate
from ec2_import_image.iampolicy.servicerole import Area, Need


def _granted_elsewhere(need: Need, buckets_with_policy: Collection[str]) -> bool:
    """Whether a resource's own policy could grant this need."""
    if need.area is Area.KMS:
        return True
    return need.area is Area.S3 and arn.bucket_of(need.resource.value) in buckets_with_policy


def refused_need(
    documents: Sequence[tuple[str, str]],
    needs: Sequence[Need],
    *,
    buckets_with_policy: Collection[str] = (),
) -> Need | None:
    """The first need the role's policies (``(label, JSON text)`` each) certainly refuse."""
    parsed: list[PolicyDocument] = []
    for label, text in documents:
        try:
            parsed.append(parse(text, label))
        except PolicyError:
            return None  # IAM stores only valid documents; one this cannot read decides nothing
    for need in needs:
        decision = evaluate(parsed, Request(need.action, need.resource)).decision
        if decision is Decision.EXPLICIT_DENY:
            return need
        if decision is Decision.IMPLICIT_DENY and not _granted_elsewhere(need, buckets_with_policy):
            return need
    return None
