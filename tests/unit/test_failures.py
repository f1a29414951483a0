"""``ec2_import_image.failures``: the shared table of known VM Import failures."""

from __future__ import annotations

import re

import pytest

from ec2_import_image.failures import KNOWN_FAILURES, explain

#: messages users met (the service's StatusMessage, or an ImportImage error), and their entry
SAMPLES = [
    (
        "The service role vmimport provided does not exist or does not have sufficient permissions",
        "service-role",
    ),
    (
        "The service role <vmimport> does not exist or does not have sufficient permissions "
        "for the service to continue",
        "service-role",
    ),
    (
        "ClientError: Disk validation failed [We do not have access to the given resource. "
        "Reason 403 Forbidden]",
        "s3-forbidden",
    ),
    (
        "ClientError: Disk validation failed [OVF file parsing error: OVA with chunked disk "
        "files is not supported]",
        "ova-chunked",
    ),
    (
        "ClientError: Disk validation failed [Unsupported VMDK File Format]",
        "vmdk-not-stream-optimized",
    ),
    ("ClientError: Disk validation failed [Unsupported OVA format]", "ova-unsupported"),
    ("ERROR: File uses unsupported compression algorithm 0", "vmdk-compression-0"),
    ("ClientError: Uncompressed data has invalid length", "vmdk-corrupted"),
    ("ClientError: Uncompressed data has an invalid length", "vmdk-corrupted"),
    ("ClientError: Footers not identical", "vhd-footers"),
    ("Parameter disk-image-size=0 has an invalid format", "disk-image-size-0"),
    ("ClientError: Disk validation failed [Invalid footer]", "disk-validation"),
    ("CLIENT_ERROR : ClientError: Unknown OS / Missing OS files.", "unknown-os"),
    ("ClientError: EFI partition detected. UEFI booting is not supported in EC2.", "efi-partition"),
    (
        "ClientError: BLSC-style GRUB found, but unable to detect default kernel",
        "grub-default-kernel",
    ),
    ("ClientError: Unsupported kernel version 5.4.66-gentoo-x86_64", "kernel"),
    ("ClientError: Unable to determine kernel version", "kernel"),
    ("ClientError: Multiple different grub/menu.lst files found", "grub-duplicates"),
    (
        "ClientError: We were unable to read your import's initramfs/initrd to determine what "
        "drivers your import requires to run in EC2",
        "initramfs",
    ),
    ("ClientError: Invalid configuration - Could not read fstab", "fstab"),
    (
        "ClientError: Unsupported configuration - Logical volume group activation failed",
        "lvm-activation",
    ),
    ("ClientError: Unsupported configuration - Multiple directories found", "multiple-directories"),
    ("ClientError: No valid partitions. Not a valid volume.", "no-valid-partitions"),
    ("No bootable partition found", "no-bootable-partition"),
    (
        "ClientError: Booter Networking failure/instance not reachable. Please retry after "
        "installation of .Net framework 3.5 SP1 or greater.",
        "booter-networking",
    ),
    (
        "FirstBootFailure: This import request failed because the Windows instance failed",
        "first-boot",
    ),
    ("Invalid S3 source location", "s3-location"),
    ("The given S3 bucket is not local to the region", "bucket-region"),
    ("ERROR: Bucket my-bucket is not in the us-east-1 region, it's in eu-west-1", "bucket-region"),
    ("Parameter architecture=arm64 has an invalid format", "arm64"),
    ("The specified KMS key is not accessible", "kms-key"),
    # the direct road (EBS direct APIs), as vmimport.upload.ebsdirect words the service's refusals
    (
        "writing web.raw to an EBS snapshot failed: ValidationException: The KMS key given as "
        "KmsKeyArn does not exist or cannot be used. (run again to resume)",
        "ebs-kms-key",
    ),
    (
        "the KMS key alias/images does not exist in this Region (NotFoundException: Alias "
        "arn:aws:kms:us-east-1:123456789012:alias/images is not found.): give a key id, key ARN "
        "or alias of this Region",
        "ebs-kms-key",
    ),
    (
        "StartSnapshot of a snapshot for web.raw was refused: AccessDeniedException: User: "
        "arn:aws:iam::123456789012:user/importer is not authorized to perform: ebs:StartSnapshot "
        "(UNAUTHORIZED_ACCOUNT): the credentials may not use the EBS direct APIs "
        "(ebs:StartSnapshot, ebs:PutSnapshotBlock, ebs:CompleteSnapshot) or the KMS key",
        "ebs-direct-access-denied",
    ),
    (
        "PutSnapshotBlock of snapshot snap-0123456789abcdef0 for web.raw was refused: "
        "AccessDeniedException: Access Denied (DEPENDENCY_ACCESS_DENIED): the credentials may "
        "not use the EBS direct APIs",
        "ebs-kms-key",
    ),
    (
        "snapshot snap-0123456789abcdef0 of web.raw cannot be written any more: it is in error "
        "(past its Timeout without a write, or failed); delete it and start again under a new "
        "ClientToken",
        "ebs-snapshot-expired",
    ),
    (
        "StartSnapshot of a snapshot for web.raw was refused: ConcurrentLimitExceededException: "
        "You have reached the limit for concurrent API requests.: the account's limit of "
        "snapshots or requests is reached; try again later",
        "ebs-quota",
    ),
    (
        "EBS refused to complete snapshot snap-0123456789abcdef0 of web.raw with 12 blocks and "
        "the checksum 3q2+7w== (ValidationException: The aggregated checksum does not match the "
        "checksums of the blocks written to the snapshot): it does not hold the blocks recorded",
        "ebs-checksum",
    ),
    (
        "EBS refused block 7 of web.raw (ValidationException: The checksum in the x-amz-Checksum "
        "header does not match the SHA256 checksum of the block data.) although the disk still "
        "holds the bytes hashed: they were damaged on their way; run again to resume",
        "ebs-checksum",
    ),
    (
        "snapshot snap-0123456789abcdef0 of web.raw failed after completion: no message; delete "
        "it and start again under a new ClientToken",
        "ebs-snapshot-error",
    ),
]


@pytest.mark.parametrize(("message", "key"), SAMPLES)
def test_messages_users_meet_are_explained(message: str, key: str) -> None:
    found = explain(message)
    assert found is not None
    assert (found.code, found.message) == (key, message)


@pytest.mark.parametrize("message", ["", "User cancelled", "pending", "An internal error occurred"])
def test_other_messages_are_not(message: str) -> None:
    assert explain(message) is None


def test_every_entry_is_complete_and_sourced() -> None:
    keys = [entry.code for _, entry in KNOWN_FAILURES]
    assert len(keys) == len(set(keys))
    for pattern, entry in KNOWN_FAILURES:
        re.compile(pattern)
        assert entry.context and entry.context.endswith("."), entry.code
        assert entry.hint and entry.hint.endswith("."), entry.code
        # a page (https://...) or a public issue or pull request (owner/repo ... number)
        assert entry.link is not None
        assert re.search(r"https://\S+|\b[\w.-]+/[\w.-]+ (issue|pull request) \d+", entry.link)


def test_every_entry_is_reached_by_a_sample() -> None:
    """No entry is shadowed by an earlier, more general one."""
    assert {key for _, key in SAMPLES} == {entry.code for _, entry in KNOWN_FAILURES}
