"""The errors the emulated VM Import API answers, each built in one place.

Every builder says where its code and message come from: ``confirmed`` ones
were seen in replies of the real service (the project's recordings or the
reference notes), ``modelled`` ones are this emulator's best guess in EC2's
style.  docs/emulator.md lists them all; a test checks that it does.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_FORMATS = ("OVA", "VHD", "VHDX", "VMDK", "RAW")
#: the formats ImportSnapshot takes (EC2 API reference, SnapshotDiskContainer: "Valid values:
#: VHD | VMDK | RAW")
SNAPSHOT_FORMATS = ("VHD", "VMDK", "RAW")


@dataclass
class ApiError(Exception):
    """An EC2 error reply: code, message and HTTP status."""

    code: str
    message: str
    status: int = 400

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# Confirmed: the recordings (tests/golden/cases/responses/err-*.xml).


def dry_run() -> ApiError:
    return ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)


def invalid_format(value: str, index: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter DiskContainer.{index}.Format is invalid. "
        f"Supported formats: {', '.join(SUPPORTED_FORMATS)}",
    )


def role_unusable(role_name: str) -> ApiError:
    return ApiError(
        "InvalidParameter",
        f"The service role {role_name} provided does not exist or does not have sufficient "
        "permissions",
    )


def bucket_not_local(region: str) -> ApiError:
    """A disk's bucket in another Region than the import: refused at the call (the first
    sentence recorded for ImportImage, the second for ImportSnapshot; docs/emulator.md)."""
    return ApiError(
        "InvalidParameter",
        f"The given S3 object is not local to the region. The object must be located in {region}.",
    )


def malformed_task_id(task_id: str) -> ApiError:
    return ApiError(
        "InvalidConversionTaskId.Malformed", f"The import task ID '{task_id}' is malformed."
    )


# Modelled: plausible codes and messages in EC2's style.


def invalid_value(name: str, value: str, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter {name} is invalid. Supported values: {', '.join(allowed)}",
    )


def malformed_value(name: str, value: str, kind: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue", f"Value ({value}) for parameter {name} is not a valid {kind}."
    )


def uefi_preferred() -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        "The uefi-preferred boot mode isn't supported for importing images. "
        "Supported values: legacy-bios, uefi",
    )


def kms_without_encrypted() -> ApiError:
    return ApiError(
        "InvalidParameterDependency",
        "The parameter KmsKeyId requires the parameter Encrypted to be set.",
    )


def license_and_usage() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "The parameters LicenseType and UsageOperation cannot be used together.",
    )


def missing_parameter(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The request must contain the parameter {name}")


def too_many_disks(count: int, limit: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Too many disk containers ({count}): an image can have at most {limit} volumes.",
    )


def disk_source(index: int) -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        f"DiskContainer.{index} must specify exactly one of UserBucket, Url and SnapshotId.",
    )


def invalid_url(container: str, url: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({url}) for parameter {container}.Url is not a valid S3 URL.",
    )


def no_such_bucket(bucket: str) -> ApiError:
    return ApiError("InvalidParameter", f"The S3 bucket '{bucket}' does not exist.")


def no_such_key(bucket: str, key: str) -> ApiError:
    return ApiError("InvalidParameter", f"The S3 object 's3://{bucket}/{key}' does not exist.")


def no_such_snapshot(snapshot_id: str) -> ApiError:
    return ApiError("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")


def platform_required() -> ApiError:
    return ApiError(
        "InvalidParameter",
        "Platform is required when a UEFI image is imported from an EBS snapshot.",
    )


def tag_resource_type(resource_type: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"'{resource_type}' is not a valid taggable resource type for this operation.",
    )


def task_limit(limit: int) -> ApiError:
    return ApiError(
        "ResourceCountLimitExceeded",
        f"You have reached the maximum number of active import image tasks ({limit}) "
        "in this Region.",
    )


def token_reused(client_token: str) -> ApiError:
    return ApiError(
        "IdempotentParameterMismatch",
        f"The client token '{client_token}' was used in an earlier request with different "
        "parameters. Use a new client token, or repeat the earlier request exactly.",
    )


def unknown_task(task_id: str) -> ApiError:
    return ApiError("InvalidConversionTaskId", f"The import task ID '{task_id}' does not exist.")


def not_cancellable(task_id: str, state: str) -> ApiError:
    return ApiError(
        "IncorrectState",
        f"The import task '{task_id}' is in the state '{state}' and cannot be cancelled.",
    )


def invalid_filter(name: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The filter '{name}' is invalid.")


def invalid_max_results(value: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter MaxResults is invalid. Expecting a value greater than 0.",
    )


def invalid_next_token(token: str) -> ApiError:
    return ApiError("InvalidNextToken", f"The token '{token}' is invalid.")


def invalid_snapshot_format(value: str) -> ApiError:
    """ImportImage's recorded wording, with ImportSnapshot's formats."""
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter DiskContainer.Format is invalid. "
        f"Supported formats: {', '.join(SNAPSHOT_FORMATS)}",
    )


def snapshot_disk_source() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "DiskContainer must specify exactly one of UserBucket and Url.",
    )


def snapshot_task_limit(limit: int) -> ApiError:
    return ApiError(
        "ResourceCountLimitExceeded",
        f"You have reached the maximum number of active import snapshot tasks ({limit}) "
        "in this Region.",
    )


def internal_error() -> ApiError:
    return ApiError(
        "InternalError", "An internal error has occurred. Check the emulator's log.", 500
    )
