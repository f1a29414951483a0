"""The account checks of ``vmimport check`` and the role ``vmimport setup-role`` writes.

Will VM Import be able to read the disks and register the image?  The
service role (exists, trusted by ``vmie.amazonaws.com``, allowed the S3, EC2
and KMS actions the service uses), the bucket (in the import's Region), the
objects (exist; SSE-KMS needs KMS permissions) and the caller (not the root
user).  Public API:

- ``inputs.AccountInputs``: what to check (Region, role name, objects,
  buckets, KMS key);
- ``check.check_account(run, inputs) -> records.AccountReport``: reads the
  account (raising ``errors.Incomplete`` when it cannot), then judges;
- ``AccountReport.problems`` (``Diagnostic`` records, codes in ``problems``)
  and ``AccountReport.to_json()`` (the report's ``"account"`` object);
- ``setup.plan_role`` / ``setup.apply_plan``: the role ``setup-role``
  creates or repairs, from the same requirements (``requirements``) the
  checks judge against.

Reading (``reading``, ``simulation``) is kept apart from judging
(``judge``, pure), so the judgement is tested without AWS.
"""
