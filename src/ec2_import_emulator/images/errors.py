"""The errors the emulated image actions answer, each built in one place.

Every builder says where its code and message come from, as ``..errors`` does
for VM Import: ``confirmed`` ones were seen in replies of the real service (a
public transcript, cited) or are quoted from AWS's documentation, ``modelled``
ones are this emulator's wording in EC2's style.  docs/emulator.md lists them
all ("Images", "Errors"); a test checks that it does.
"""

from __future__ import annotations

from collections.abc import Sequence

from ec2_import_emulator.errors import ApiError

# -- confirmed ----------------------------------------------------------------


def image_not_found(image_ids: Sequence[str]) -> ApiError:
    """InvalidAMIID.NotFound, as EC2 words it for DescribeImages/DeregisterImage (seen in many
    public transcripts, e.g. hashicorp/packer's issues; moto reproduces it)."""
    if len(image_ids) > 1:
        return ApiError(
            "InvalidAMIID.NotFound", f"The image ids '[{', '.join(image_ids)}]' do not exist"
        )
    return ApiError("InvalidAMIID.NotFound", f"The image id '[{image_ids[0]}]' does not exist")


def image_malformed(image_id: str) -> ApiError:
    return ApiError("InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")')


def not_authorized(image_id: str) -> ApiError:
    """Another account's image (a recorded packer run: ``AuthFailure: Not authorized for
    image:ami-2cdbca4d`` when deregistering an image it did not own)."""
    return ApiError("AuthFailure", f"Not authorized for image:{image_id}")


def name_malformed() -> ApiError:
    """The EC2 API reference's list of error codes words InvalidAMIName.Malformed so."""
    return ApiError(
        "InvalidAMIName.Malformed",
        "AMI names must be between 3 and 128 characters long, and may only contain letters, "
        "numbers, and the following special characters: '-', '_', '.', '/', '(', and ')'.",
    )


def name_duplicate(name: str, image_id: str) -> ApiError:
    """Seen in many transcripts: ``AMI name NAME is already in use by AMI ami-...``."""
    return ApiError(
        "InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {image_id}"
    )


def encrypted_with_snapshot(device: str) -> ApiError:
    """EC2's wording for a mapping that names a snapshot and an encryption state (seen through
    launch templates in terraform-provider-aws's tests); RegisterImage's reference says the
    same rule: "you can't specify the encryption state of the volume"."""
    return ApiError(
        "InvalidBlockDeviceMapping",
        f"the encrypted flag cannot be specified since device {device} has a snapshot specified.",
    )


def volume_smaller_than_snapshot(size: int, snapshot_id: str, needed: int) -> ApiError:
    return ApiError(
        "InvalidBlockDeviceMapping",
        f"Volume of size {size}GB is smaller than snapshot '{snapshot_id}', "
        f"expect size >= {needed}GB",
    )


def no_snapshot_or_size(devices: Sequence[str]) -> ApiError:
    return ApiError(
        "InvalidBlockDeviceMapping",
        f"Either snapshot ID or volume size must be provided for: {', '.join(devices)}",
    )


def boot_volume_type(volume_type: str) -> ApiError:
    """The message is EC2's (quoted in code that met it); the list of types is today's."""
    return ApiError(
        "InvalidBlockDeviceMapping",
        f"The {volume_type} volume type cannot be used for boot volumes. Please use a supported "
        "boot volume type: standard,io1,io2,gp2,gp3.",
    )


def default_key_not_shareable() -> ApiError:
    """ModifyImageAttribute sharing an image whose snapshots use the AWS managed key
    (hashicorp/packer#7410 recorded it, typographic apostrophe included)."""
    return ApiError(
        "InvalidParameter",
        "Snapshots encrypted with the AWS Managed CMK can\u2019t be shared. "
        "Specify another snapshot.",
    )


def public_image_quota(limit: int) -> ApiError:
    """Recorded by iterative/studio-selfhosted#90 (the "Public AMIs" quota, 5 per Region)."""
    return ApiError(
        "ResourceLimitExceeded",
        f"You have reached your quota of {limit} for the number of public images allowed in "
        "this Region. Deregister unused public images or make them private, or request an "
        "increase in your public AMIs quota.",
    )


def copy_storage_denied() -> ApiError:
    """The message of many recorded failures to copy a shared AMI whose snapshots are not
    shared (clong/DetectionLab#422, MISP/misp-cloud#28); the code is modelled."""
    return ApiError(
        "InvalidRequest", "You do not have permission to access the storage of this ami"
    )


def snapshot_in_use(snapshot_id: str, image_id: str) -> ApiError:
    return ApiError(
        "InvalidSnapshot.InUse", f"The snapshot {snapshot_id} is currently in use by {image_id}"
    )


def block_device_mapping_attribute() -> ApiError:
    """DescribeImageAttribute blockDeviceMapping: "returns the Client.AuthFailure error" (the
    API reference); the message is the one aws/aws-cli#1083 recorded."""
    return ApiError("AuthFailure", "Unauthorized attempt to access restricted resource")


# -- modelled -----------------------------------------------------------------


def image_unavailable(image_id: str) -> ApiError:
    return ApiError(
        "InvalidAMIID.Unavailable", f"The image id '[{image_id}]' is no longer available"
    )


def description_too_long(length: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The description is {length} characters long: an AMI description can have at most "
        "255 characters.",
    )


def snapshot_not_completed(snapshot_id: str, state: str) -> ApiError:
    return ApiError(
        "IncorrectState",
        f"The snapshot '{snapshot_id}' is in the state '{state}': an AMI can only be registered "
        "from completed snapshots.",
    )


def root_not_mapped(root_device: str) -> ApiError:
    return ApiError(
        "InvalidBlockDeviceMapping",
        f"The root device {root_device} must be in the block device mapping as an EBS volume "
        "with a snapshot.",
    )


def duplicate_device(device: str) -> ApiError:
    return ApiError("InvalidBlockDeviceMapping", f"The device {device} is mapped more than once.")


def volume_size_range(size: int, volume_type: str, largest: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Volume of size {size}GiB is not valid for volume type {volume_type}: the size must be "
        f"between 1 and {largest} GiB.",
    )


def tpm_needs_uefi(boot_mode: str | None) -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        f"TpmSupport v2.0 requires the boot mode uefi (the request's boot mode is "
        f"{boot_mode or 'not set'}).",
    )


def arm64_needs_uefi() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "The arm64 architecture boots only with UEFI: use the boot mode uefi or uefi-preferred.",
    )


def uefi_data_malformed() -> ApiError:
    return ApiError("InvalidParameterValue", "The UefiData parameter is not a valid base64 string.")


def uefi_data_too_large(length: int, limit: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The UefiData parameter has {length} characters: at most {limit} are allowed.",
    )


def not_emulated(what: str) -> ApiError:
    """A request the service takes but this emulator does not emulate (docs/emulator.md)."""
    return ApiError("UnsupportedOperation", f"{what} is not emulated by ec2-import-emulator.")


def attribute_item_value(item: str, value: str) -> ApiError:
    return ApiError(
        "InvalidAMIAttributeItemValue",
        f'Invalid attribute item value "{value}" for {item} item type.',
    )


def organization_arn(parameter: str, value: str, form: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter {parameter} is invalid. "
        f"Expected an ARN of the form {form}.",
    )


def public_encrypted() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "An image with encrypted snapshots can't be made public: share it with specific "
        "accounts, organizations or OUs.",
    )


def sharing_quota(limit: int) -> ApiError:
    return ApiError(
        "ResourceLimitExceeded",
        f"You have reached your quota of {limit} for the number of entities an AMI can be "
        "shared with in this Region.",
    )


def imds_irreversible(value: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter ImdsSupport is invalid. The only value is v2.0, and once "
        "set it can't be removed: register a new AMI from the snapshot instead.",
    )


def attribute_not_supported(attribute: str, operation: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The attribute '{attribute}' is not supported by {operation}.",
    )


def one_attribute() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "Only one attribute can be modified at a time: give one of Description, ImdsSupport, "
        "LaunchPermission (or Attribute with its parameters).",
    )


def deprecation_in_past(when: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The deprecation time {when} is in the past.")


def deprecation_too_late(when: str, limit: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The deprecation time {when} is after the latest allowed, {limit} (10 years from now; "
        "2 years from the creation date for a public AMI).",
    )


def deprecation_malformed(value: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter DeprecateAt is invalid. Expected the format "
        "YYYY-MM-DDTHH:MM:SSZ.",
    )


def public_deprecation_fixed(image_id: str) -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        f"The deprecation of the public image {image_id} can't be cancelled: make the image "
        "private first.",
    )


def deregistration_protected(image_id: str, until: str | None) -> ApiError:
    reason = (
        f"its deregistration protection's cooldown lasts until {until}"
        if until
        else "deregistration protection is enabled"
    )
    return ApiError(
        "OperationNotPermitted",
        f"The image {image_id} can't be deregistered: {reason}. Disable deregistration "
        "protection (DisableImageDeregistrationProtection) and try again.",
    )


def copy_quota(limit: int) -> ApiError:
    """The code is EC2's for concurrent snapshot copies (``Too many snapshot copies in progress.
    The limit is 5 for this destination region.``, aws-samples/copy-encrypted-ami#3); the
    message is modelled on it."""
    return ApiError(
        "ResourceLimitExceeded",
        f"Too many AMI copies in progress. The limit is {limit} for this destination region.",
    )


def source_not_available(image_id: str, state: str) -> ApiError:
    return ApiError(
        "IncorrectState",
        f"The image {image_id} is in the state '{state}' and can't be copied.",
    )


def unknown_region(region: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({region}) for parameter SourceRegion is not a known Region.",
    )


def copy_duration(minutes: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({minutes}) for parameter SnapshotCopyCompletionDurationMinutes is invalid. "
        "Specify a multiple of 15 between 15 and 2880.",
    )


def client_token_too_long(length: int, limit: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The client token has {length} characters: at most {limit} are allowed.",
    )


def snapshot_not_owned(snapshot_id: str) -> ApiError:
    return ApiError("AuthFailure", f"Not authorized for snapshot:{snapshot_id}")


def public_snapshot_encrypted(snapshot_id: str) -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        f"The snapshot {snapshot_id} is encrypted: only unencrypted snapshots can be shared "
        "publicly.",
    )


def references_scope() -> ApiError:
    return ApiError(
        "InvalidParameterCombination",
        "Specify either IncludeAllResourceTypes or ResourceTypes.",
    )


def max_results(value: int, least: int, most: int) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"Value ({value}) for parameter MaxResults is invalid. Expecting a value between "
        f"{least} and {most}.",
    )
