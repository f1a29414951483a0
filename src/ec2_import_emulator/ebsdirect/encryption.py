"""Whether a snapshot StartSnapshot makes is encrypted, and with which key.

The EBS user guide's "Encryption outcomes for EBS direct APIs"
(ebsapis-using-encryption) decides it from Encrypted, KmsKeyArn,
ParentSnapshotId and the account's EBS encryption by default:

- ParentSnapshotId and Encrypted together fail with ValidationException (also
  StartSnapshot's API reference);
- with encryption by default "you can't create unencrypted snapshots", nor
  start one from an unencrypted parent: ValidationException;
- an unencrypted parent gives an unencrypted snapshot; an encrypted parent an
  encrypted one, with the parent's key unless KmsKeyArn names another;
- no parent: Encrypted true encrypts, with KmsKeyArn or the account's default
  EBS key; Encrypted omitted encrypts only by default (or when KmsKeyArn is
  given, modelled); Encrypted false gives an unencrypted snapshot.

Where the page's table could not be read in full the emulator's choice is
marked modelled: KmsKeyArn with an unencrypted parent, or with Encrypted false,
is refused.  Pure: the account's facts come in, the outcome or the error out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ec2_import_emulator.ebsdirect import errors


@dataclass(frozen=True)
class Parent:
    encrypted: bool
    kms_key_arn: str | None


@dataclass(frozen=True)
class Outcome:
    encrypted: bool
    kms_key_arn: str | None = None


def outcome(
    *,
    encrypted: bool | None,
    kms_key_arn: str | None,
    parent: Parent | None,
    by_default: bool,
    default_key: Callable[[], str],
) -> Outcome:
    """The encryption of the new snapshot (``default_key`` is asked only when it is used)."""
    if parent is not None:
        if encrypted is not None:
            raise errors.parent_and_encrypted()
        if not parent.encrypted:
            if by_default:
                raise errors.unencrypted_by_default()
            if kms_key_arn is not None:
                raise errors.unencrypted_parent_with_key()
            return Outcome(False)
        return Outcome(True, kms_key_arn or parent.kms_key_arn or default_key())
    if encrypted is False:
        if by_default:
            raise errors.unencrypted_by_default()
        if kms_key_arn is not None:
            raise errors.unencrypted_with_key()
        return Outcome(False)
    if encrypted or kms_key_arn is not None or by_default:
        return Outcome(True, kms_key_arn or default_key())
    return Outcome(False)
