"""The errors the emulated EBS direct APIs answer, each built in one place.

The codes, HTTP statuses and ``Reason`` values are the EBS model's (botocore's
``ebs`` service-2: ValidationException 400, ResourceNotFoundException 404,
AccessDeniedException 403, RequestThrottledException 400,
ServiceQuotaExceededException 402, ConcurrentLimitExceededException 400,
ConflictException 409, InternalServerException 500); ThrottlingException (400)
is not in the model but the EBS user guide's "Error retries for EBS direct
APIs" (error-retries) lists it for every API.  Where a message is the model's
own documentation of the exception, or a page's, the builder says so;
the other messages are the emulator's (modelled), in the style of AWS's JSON
services.  docs/emulator.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass

VALIDATION = "ValidationException"
NOT_FOUND = "ResourceNotFoundException"
CONFLICT = "ConflictException"
REQUEST_THROTTLED = "RequestThrottledException"
THROTTLING = "ThrottlingException"
QUOTA_EXCEEDED = "ServiceQuotaExceededException"
CONCURRENT_LIMIT = "ConcurrentLimitExceededException"
INTERNAL = "InternalServerException"
ACCESS_DENIED = "AccessDeniedException"

_STATUS = {
    VALIDATION: 400,
    NOT_FOUND: 404,
    CONFLICT: 409,
    REQUEST_THROTTLED: 400,
    THROTTLING: 400,
    QUOTA_EXCEEDED: 402,
    CONCURRENT_LIMIT: 400,
    INTERNAL: 500,
    ACCESS_DENIED: 403,
}


@dataclass
class EbsError(Exception):
    """A REST-JSON error reply: code (``x-amzn-ErrorType``), message and ``Reason``."""

    code: str
    message: str
    reason: str | None = None

    @property
    def status(self) -> int:
        return _STATUS.get(self.code, 400)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def validation(message: str, reason: str = "INVALID_PARAMETER_VALUE") -> EbsError:
    return EbsError(VALIDATION, message, reason)


def constraint(name: str, value: object | None, rule: str) -> EbsError:
    """A value the model's constraints refuse, in AWS's "1 validation error detected" words
    (a sensitive member's value is not repeated)."""
    shown = "Value" if value is None else f"Value '{value}'"
    return validation(
        f"1 validation error detected: {shown} at '{name}' failed to satisfy constraint: {rule}"
    )


def missing(name: str) -> EbsError:
    return constraint(name, "null", "Member must not be null")


# -- confirmed wording: a page of the EBS user guide or the model's documentation --------------


def access_denied() -> EbsError:
    """The model's documentation of AccessDeniedException (403), its Reason
    ``UNAUTHORIZED_ACCOUNT`` (the credentials may not use the EBS direct APIs)."""
    return EbsError(
        ACCESS_DENIED,
        "You do not have sufficient access to perform this action.",
        "UNAUTHORIZED_ACCOUNT",
    )


def read_failed() -> EbsError:
    """error-retries: "ValidationException with message 'Failed to read block data'", retryable;
    nanovms/ops#1268 recorded its Reason."""
    return validation("Failed to read block data")


def token_conflict() -> EbsError:
    """ebs-direct-api-idempotency: the same ClientToken with other parameters is a
    ConflictException; the message is the model's documentation of the exception."""
    return EbsError(
        CONFLICT, "The request uses the same client token as a previous, but non-identical request."
    )


def request_throttled() -> EbsError:
    """The model's documentation of RequestThrottledException."""
    return EbsError(
        REQUEST_THROTTLED,
        "The number of API requests has exceeded the maximum allowed API request throttling "
        "limit for the snapshot.",
        "ACCOUNT_THROTTLED",
    )


def throttling() -> EbsError:
    """error-retries: the account's request rate exceeded (the message is modelled)."""
    return EbsError(THROTTLING, "Rate exceeded")


def quota_exceeded() -> EbsError:
    """The model's documentation of ServiceQuotaExceededException."""
    return EbsError(
        QUOTA_EXCEEDED,
        "Your current service quotas do not allow you to perform this action.",
        "DEPENDENCY_SERVICE_QUOTA_EXCEEDED",
    )


def concurrent_limit() -> EbsError:
    """The model's documentation of ConcurrentLimitExceededException."""
    return EbsError(CONCURRENT_LIMIT, "You have reached the limit for concurrent API requests.")


def parent_and_encrypted() -> EbsError:
    """StartSnapshot's reference: "You can't specify ParentSnapshotId and Encrypted in the same
    request. If you specify both parameters, the request fails with ValidationException"."""
    return validation(
        "You can't specify ParentSnapshotId and Encrypted in the same request.",
    )


def unencrypted_by_default() -> EbsError:
    """ebsapis-using-encryption: with EBS encryption by default "you can't create unencrypted
    snapshots" (nor start one from an unencrypted parent); the message is modelled."""
    return validation(
        "EBS encryption by default is enabled for this account: the snapshot cannot be "
        "unencrypted. Omit Encrypted, or set it to true.",
    )


# -- modelled -----------------------------------------------------------------------------------


def not_found(snapshot_id: str) -> EbsError:
    return EbsError(
        NOT_FOUND, f"The snapshot '{snapshot_id}' does not exist.", "SNAPSHOT_NOT_FOUND"
    )


def volume_size(size: int, limit: int) -> EbsError:
    return validation(
        f"The volume size {size} GiB is invalid: a snapshot's volume is 1 to {limit} GiB.",
        "INVALID_VOLUME_SIZE",
    )


def smaller_than_parent(size: int, parent_size: int) -> EbsError:
    return validation(
        f"The volume size {size} GiB is smaller than the parent snapshot's {parent_size} GiB.",
        "INVALID_VOLUME_SIZE",
    )


def parent_not_completed(snapshot_id: str, state: str) -> EbsError:
    return validation(
        f"The parent snapshot '{snapshot_id}' is '{state}': only a completed snapshot can be a "
        "parent.",
        "INVALID_SNAPSHOT_ID",
    )


def unencrypted_parent_with_key() -> EbsError:
    return validation(
        "KmsKeyArn cannot encrypt a snapshot whose parent is unencrypted: copy the parent "
        "encrypted first (CopySnapshot).",
    )


def unencrypted_with_key() -> EbsError:
    return validation("KmsKeyArn cannot be given with Encrypted false.")


def unknown_key() -> EbsError:
    return validation(
        "The KMS key given as KmsKeyArn does not exist or cannot be used.", "INVALID_CUSTOMER_KEY"
    )


def invalid_tag(detail: str) -> EbsError:
    return validation(f"The tags are invalid: {detail}.", "INVALID_TAG")


def data_length(length: int, block_size: int) -> EbsError:
    return validation(
        f"DataLength {length} is invalid: the only supported block size is {block_size} bytes."
    )


def block_outside(index: int, count: int) -> EbsError:
    return validation(
        f"The block index {index} is outside the volume: its blocks are 0 to {count - 1}.",
        "INVALID_BLOCK",
    )


def checksum_mismatch() -> EbsError:
    """PutSnapshotBlock's reference: "If the checksums do not correspond, the request fails"."""
    return validation(
        "The checksum in the x-amz-Checksum header does not match the SHA256 checksum of the "
        "block data.",
    )


def not_pending(snapshot_id: str, state: str) -> EbsError:
    return validation(
        f"The snapshot '{snapshot_id}' is '{state}': blocks can be written to a pending "
        "snapshot only.",
        "INVALID_SNAPSHOT_ID",
    )


def not_completed(snapshot_id: str, state: str) -> EbsError:
    """ebsapi-faq: a snapshot "can be accessed only if it has a completed status"."""
    return validation(
        f"The snapshot '{snapshot_id}' is '{state}': only a completed snapshot can be read.",
        "INVALID_SNAPSHOT_ID",
    )


def changed_blocks(given: int, written: int) -> EbsError:
    return validation(
        f"ChangedBlocksCount {given} does not match the {written} blocks written to the snapshot."
    )


def aggregate_checksum() -> EbsError:
    return validation(
        "The aggregated checksum does not match the checksums of the blocks written to the "
        "snapshot (SHA256 of their SHA256 digests concatenated in ascending block index order)."
    )


def checksum_settings() -> EbsError:
    return validation(
        "A Checksum needs ChecksumAlgorithm SHA256 and ChecksumAggregationMethod LINEAR."
    )


def block_token() -> EbsError:
    return validation("The block token is invalid or has expired.", "INVALID_BLOCK_TOKEN")


def page_token() -> EbsError:
    return validation("The page token is invalid or has expired.", "INVALID_PAGE_TOKEN")


def unrelated(first: str, second: str) -> EbsError:
    return validation(
        f"The snapshots '{first}' and '{second}' are not of the same lineage.",
        "UNRELATED_SNAPSHOTS",
    )


def unknown_operation(method: str, path: str) -> EbsError:
    return validation(f"No EBS direct API answers {method} {path}.")


def internal() -> EbsError:
    return EbsError(INTERNAL, "An internal error has occurred. Check the emulator's log.")
