"""The known failures of VM Import: what a message means, what usually fixes it, and who says so.

One table, shared by everything that explains a failure: the drop-in's
waiter (the StatusMessage of a deleted task, or the error of an ImportImage
call made with ``--wait``), ``vmimport explain``, and ``import`` and ``batch``
for a failed entry.  Besides VM Import's messages it knows the direct road's
(``vmimport import --via direct``: the EBS direct APIs' refusals as the
writer words them, ``vmimport.upload.ebsdirect``), cited from the EBS user
guide's EBS direct APIs pages.  Each entry is a pattern and a ``Diagnostic`` (its code,
cause as context, remedy as hint) whose link names its source (a page of the
AWS VM Import/Export User Guide, or a public issue where users met the
message), so that a remedy can be checked and the table extended without
guessing.  ``explain`` gives the diagnostic of a message: the entry's, with
the message as its own.

Entries are tried in order and the first that matches wins: the specific
forms of a message (``Disk validation failed [Unsupported VMDK File
Format]``) come before the general ones (``Disk validation failed``).
Nothing here imports anything beyond the standard library.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from ec2_import_image.diagnostics import Diagnostic

_GUIDE = "https://docs.aws.amazon.com/vm-import/latest/userguide"
#: the AWS VM Import/Export User Guide's pages the entries cite
TROUBLESHOOTING = (
    f"AWS VM Import/Export User Guide, Troubleshooting: {_GUIDE}/vmimport-troubleshooting.html"
)
PERMISSIONS = (
    f"AWS VM Import/Export User Guide, Required permissions: {_GUIDE}/required-permissions.html"
)
REQUIREMENTS = f"AWS VM Import/Export User Guide, Requirements: {_GUIDE}/prerequisites.html"
_EBS = "https://docs.aws.amazon.com/ebs/latest/userguide"
EBS_DIRECT_PERMISSIONS = (
    "Amazon EBS User Guide, Control access to EBS direct APIs using IAM: "
    f"{_EBS}/ebsapi-permissions.html"
)
EBS_DIRECT_WRITE = (
    f"Amazon EBS User Guide, Write snapshots with EBS direct APIs: {_EBS}/writesnapshots.html"
)
EBS_DIRECT_CHECKSUMS = (
    "Amazon EBS User Guide, Use checksums with EBS direct APIs: "
    f"{_EBS}/ebsapis-using-checksums.html"
)
EBS_DIRECT_ENCRYPTION = (
    f"Amazon EBS User Guide, Encryption outcomes for EBS direct APIs: "
    f"{_EBS}/ebsapis-using-encryption.html"
)
EBS_DIRECT_QUOTAS = f"Amazon EBS User Guide, Amazon EBS quotas: {_EBS}/ebs-resource-quotas.html"
EBS_ERROR_RETRIES = f"Amazon EBS User Guide, Error retries: {_EBS}/error-retries.html"
IMPORT_IMAGE_API = (
    "Amazon EC2 API Reference, ImportImage: "
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImportImage.html"
)


def _known(code: str, pattern: str, cause: str, remedy: str, link: str) -> tuple[str, Diagnostic]:
    """An entry: a regular expression searched, case-insensitively, in a StatusMessage or
    error message, and its diagnostic (its message is the one matched)."""
    return pattern, Diagnostic(code, "", context=cause, hint=remedy, link=link)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


#: the direct road's failures (EBS direct APIs), before VM Import's: their messages name a KMS
#: key or a checksum too, and the more specific entry must win
_DIRECT_FAILURES: tuple[tuple[str, Diagnostic], ...] = (
    _known(
        "ebs-kms-key",
        r"DEPENDENCY_ACCESS_DENIED|INVALID_CUSTOMER_KEY|KmsKeyArn|the KMS key \S+ (does not "
        r"exist in this Region|\(.*\) is \w+: EBS cannot encrypt)",
        "The KMS key the snapshot is to be encrypted with (--kms-key-id, or the account's EBS "
        "default key) does not exist in the Region, is disabled or pending deletion, or the "
        "caller may not use it: StartSnapshot needs the key's use for the caller.",
        "Give an enabled key of the import's Region (its id, ARN or alias), and allow the caller "
        "kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, "
        "kms:ReEncrypt*, kms:CreateGrant and kms:DescribeKey on it (in the key policy and the "
        "caller's policy), then run the import again: it goes on where it stopped.",
        f"{EBS_DIRECT_PERMISSIONS}; {EBS_DIRECT_ENCRYPTION}",
    ),
    _known(
        "ebs-direct-access-denied",
        r"(StartSnapshot|PutSnapshotBlock|CompleteSnapshot)\b.*AccessDenied"
        r"|not authorized to perform: ebs:"
        r"|RegisterImage\b.*(UnauthorizedOperation|not authorized)",
        "The caller may not use the EBS direct APIs that write a snapshot, or may not register "
        "the AMI: the direct road calls ebs:StartSnapshot, ebs:PutSnapshotBlock and "
        "ebs:CompleteSnapshot, then ec2:RegisterImage (and ec2:DescribeSnapshots, "
        "ec2:DescribeImages, ec2:CreateTags, ec2:DeleteSnapshot along the way); an SCP or a "
        "permissions boundary can deny them too.",
        "Allow the caller ebs:StartSnapshot, ebs:PutSnapshotBlock and ebs:CompleteSnapshot on "
        "arn:aws:ec2:REGION::snapshot/*, and ec2:RegisterImage, then run the import again (it "
        "goes on where it stopped); or take --via image, which needs the vmimport role and a "
        "bucket instead.",
        f"{EBS_DIRECT_PERMISSIONS}; {EBS_DIRECT_WRITE}",
    ),
    _known(
        "ebs-snapshot-expired",
        r"cannot be written any more|past its Timeout",
        "The disk's snapshot went to error: no block was written to it and it was not completed "
        "within its Timeout (vmimport asks for 1,440 minutes), or it was deleted.  A snapshot in "
        "error cannot be written or completed.",
        "Run the import again: vmimport deletes that snapshot and writes the disk again into a "
        "new one under the disk's next ClientToken, keeping the other disks' snapshots.",
        EBS_DIRECT_WRITE,
    ),
    _known(
        "ebs-quota",
        r"ConcurrentLimitExceeded|ServiceQuotaExceeded|limit of snapshots or requests",
        "The account's EBS direct limits are reached: too many snapshots pending (started, not "
        "completed) or too many concurrent requests; StartSnapshot is refused until some finish.",
        "Wait (vmimport waits and tries again by itself while it runs), complete or delete "
        "snapshots left pending, lower --upload-threads, or ask for a higher quota in Service "
        "Quotas (service EBS).",
        f"{EBS_DIRECT_QUOTAS}; {EBS_ERROR_RETRIES}",
    ),
    _known(
        "ebs-checksum",
        r"aggregated checksum|EBS refused (block \d+|to complete snapshot)|x-amz-Checksum",
        "EBS refused a block's checksum, or the aggregated checksum of every block at "
        "CompleteSnapshot: the bytes were damaged on their way, the disk changed while it was "
        "written, or the blocks recorded are not the blocks the snapshot holds.",
        "Make sure nothing writes to the disk image (a running VM, a copy in progress), then run "
        "the import again: a block refused is written again; a snapshot that cannot be "
        "completed is replaced by a new one.",
        f"{EBS_DIRECT_CHECKSUMS}; {EBS_DIRECT_WRITE}",
    ),
    _known(
        "ebs-snapshot-error",
        r"failed (after|at) completion",
        "The snapshot went to error after CompleteSnapshot: EBS could not seal it.",
        "Run the import again: the failed snapshot is deleted and the disk written into a new "
        "one; if it fails again, look at the snapshot's StateMessage (aws ec2 describe-snapshots "
        "--snapshot-ids SNAPSHOT) and the account's AWS Health events.",
        EBS_DIRECT_WRITE,
    ),
)

KNOWN_FAILURES: tuple[tuple[str, Diagnostic], ...] = (
    *_DIRECT_FAILURES,
    _known(
        "service-role",
        r"service role\b.*(does not exist|sufficient permissions)",
        "The VM Import service role (vmimport, or the RoleName given) is missing, does not trust "
        "vmie.amazonaws.com with the external id vmimport, or may not read the bucket; the caller "
        "may also lack iam:PassRole or EC2 permissions, or the role lacks kms:Decrypt for an "
        "SSE-KMS bucket.",
        "Create or repair the role with that trust policy and a policy allowing "
        "s3:GetBucketLocation, s3:GetObject and s3:ListBucket on the bucket (and the KMS key's "
        "use when the bucket is encrypted): vmimport setup-role --bucket BUCKET does it, and "
        "vmimport check --bucket BUCKET DISK checks it; then start the import again.",
        f"{TROUBLESHOOTING}; {PERMISSIONS}",
    ),
    _known(
        "s3-forbidden",
        r"do not have access to the given resource|403 Forbidden",
        "The service role could not read the disk image: the role's policy, the bucket policy, "
        "an object owned by another account or an SSE-KMS key refused it.",
        "Allow the service role s3:GetObject on the object (and kms:Decrypt on its key), check "
        "the bucket policy and the object's owner, then start the import again.",
        PERMISSIONS,
    ),
    _known(
        "ova-chunked",
        r"OVA with chunked disk files",
        "The OVA's disks are split into several files; VM Import reads each disk as one file.",
        "Export the VM again without splitting its disks (one file per disk), then import it.",
        TROUBLESHOOTING,
    ),
    _known(
        "vmdk-not-stream-optimized",
        r"Unsupported VMDK File Format",
        "The VMDK is not stream-optimized, the only VMDK variant VM Import reads.",
        "Export the VM as OVA (its disks are stream-optimized), or convert the disk: "
        "qemu-img convert -O vmdk -o subformat=streamOptimized in.vmdk out.vmdk.",
        TROUBLESHOOTING,
    ),
    _known(
        "ova-unsupported",
        r"Unsupported OVA format",
        "The OVA is not laid out as VM Import expects (its descriptor first, disks as "
        "stream-optimized VMDKs), as OVAs rebuilt by other tools often are.",
        "Export the OVA again from the hypervisor, or import its VMDK disk alone with Format=vmdk.",
        "hashicorp/packer-plugin-amazon issue 457",
    ),
    _known(
        "vmdk-compression-0",
        r"unsupported compression algorithm 0",
        "The VMDK is not compressed as a stream-optimized disk is: it was written for an OVF "
        "export, not taken from an OVA.",
        "Use the disk from an OVF export (or convert it to a stream-optimized VMDK), then import "
        "it again.",
        TROUBLESHOOTING,
    ),
    _known(
        "vmdk-corrupted",
        r"Uncompressed data has (an )?invalid length",
        "The VMDK is damaged, or its upload is incomplete.",
        "Upload the disk again and compare its size and checksum with the original, or export "
        "the VM again.",
        TROUBLESHOOTING,
    ),
    _known(
        "vhd-footers",
        r"Footers not identical",
        "The VHD is a differencing disk, or was damaged while it was written or uploaded.",
        "Merge the disk with its parent (or export the VM again) and upload the whole file again.",
        TROUBLESHOOTING,
    ),
    _known(
        "disk-image-size-0",
        r"disk-image-size=0",
        "The service found no disk image it could measure: an empty object, a wrong S3Key or a "
        "format it does not accept.",
        "Check that S3Bucket/S3Key name the uploaded file and that Format is one of OVA, VHD, "
        "VHDX, VMDK or RAW.",
        TROUBLESHOOTING,
    ),
    _known(
        "disk-validation",
        r"Disk validation failed",
        "The disk image could not be read as the declared format.",
        "Check each disk container's Format against the file (QCOW2, for one, is not accepted: "
        "convert it to RAW or VHD first).",
        REQUIREMENTS,
    ),
    _known(
        "unknown-os",
        r"Unknown OS|Missing OS files",
        "VM Import did not recognise an operating system it supports on the first disk.",
        "Check the OS against the supported list and the disk order; for other systems, import "
        "the disk with import-snapshot and register the AMI with register-image.",
        f"{TROUBLESHOOTING}; hashicorp/packer-plugin-amazon issue 103",
    ),
    _known(
        "efi-partition",
        r"EFI partition detected",
        "The disk boots with UEFI and the import was started for legacy BIOS.",
        "Start the import again with --boot-mode uefi, or remove the EFI system partition.",
        "coreos/fedora-coreos-tracker issue 406; openshift/os pull request 396",
    ),
    _known(
        "grub-default-kernel",
        r"BLSC-style GRUB",
        "VM Import could not find the default kernel in the BLS-style GRUB configuration.",
        "Set GRUB's default to $saved_entry with the kernel's entry saved in grubenv, then "
        "export the VM again.",
        TROUBLESHOOTING,
    ),
    _known(
        "kernel",
        r"Unsupported kernel version|Unable to determine kernel version",
        "The kernel is not one VM Import supports for that distribution, or it was not found.",
        "Boot the VM on a supported kernel of its distribution before exporting it.",
        TROUBLESHOOTING,
    ),
    _known(
        "grub-duplicates",
        r"Multiple different grub/menu\.lst files",
        "Several GRUB configurations were found: dual-boot VMs are not supported.",
        "Keep one bootloader configuration (one system) on the VM, then export it again.",
        TROUBLESHOOTING,
    ),
    _known(
        "initramfs",
        r"initramfs/initrd",
        "The initramfs of the Linux VM could not be read to find the drivers it needs.",
        "Check it with lsinitramfs, rebuild it if it reports errors, then export the VM again.",
        TROUBLESHOOTING,
    ),
    _known(
        "fstab",
        r"Could not read fstab",
        "The Linux VM has several boot volumes or several /etc directories.",
        "Keep one system and one /etc on the VM, then export it again.",
        TROUBLESHOOTING,
    ),
    _known(
        "lvm-activation",
        r"Logical volume group activation failed",
        "A logical volume of the disk could not be activated: the file or the disk may be damaged.",
        "Check the volume groups on the VM, upload the disk image again and compare checksums.",
        TROUBLESHOOTING,
    ),
    _known(
        "multiple-directories",
        r"Multiple directories found",
        "The Linux VM has several boot volumes or several /etc directories.",
        "Keep one system and one /etc on the VM, then export it again.",
        TROUBLESHOOTING,
    ),
    _known(
        "no-valid-partitions",
        r"No valid partitions",
        "The boot disk has no partition the service can read as a volume: no partition table, "
        "an unsupported or encrypted file system, or the disks in the wrong order.",
        "Check the disk (vmimport check DISK shows its partition table and file systems), put "
        "the boot disk first, and import a disk with a readable system partition.",
        f"{TROUBLESHOOTING}; {REQUIREMENTS}",
    ),
    _known(
        "no-bootable-partition",
        r"No bootable partition found",
        "No boot partition was found on the disk.",
        "Import the disk that holds the boot partition (first in the disk containers).",
        TROUBLESHOOTING,
    ),
    _known(
        "booter-networking",
        r"Booter Networking failure",
        "The Windows VM lacks the .NET Framework 3.5 SP1 that the EC2 configuration service needs.",
        "Install .NET Framework 3.5 SP1 or later on the VM, then export it again.",
        TROUBLESHOOTING,
    ),
    _known(
        "first-boot",
        r"FirstBootFailure",
        "The Windows VM did not boot and reach the network during the import (drivers, DHCP, "
        "activation, security software).",
        "Enable DHCP, disable anti-virus software and firewalls, detach other disks and undo "
        "hardening before exporting the VM again.",
        TROUBLESHOOTING,
    ),
    _known(
        "s3-location",
        r"Invalid S3 source location",
        "The S3 bucket or key given is wrong.",
        "Check S3Bucket and S3Key (or Url) against the uploaded object, in a bucket of the "
        "import's Region.",
        TROUBLESHOOTING,
    ),
    _known(
        "bucket-region",
        r"not local to the region|is not in the \S+ region",
        "The S3 bucket is in another Region than the import.",
        "Import in the bucket's Region (--region), or copy the disk to a bucket of the import's "
        "Region.",
        TROUBLESHOOTING,
    ),
    _known(
        "arm64",
        r"architecture=arm64 has an invalid format",
        "ImportImage accepts i386 and x86_64 disks only.",
        "Import an arm64 disk with import-snapshot, then register-image with --architecture "
        "arm64 --boot-mode uefi.",
        f"{IMPORT_IMAGE_API}; hashicorp/packer-plugin-amazon issue 264",
    ),
    _known(
        "kms-key",
        r"KMS key",
        "The KMS key of the import (KmsKeyId, or the bucket's SSE-KMS key) may not be used by "
        "the service role.",
        "Allow the service role kms:Decrypt, kms:GenerateDataKey* and kms:CreateGrant on the "
        "key (in the key policy and the role policy).",
        f"{PERMISSIONS}; {TROUBLESHOOTING}",
    ),
)


def explain(message: str) -> Diagnostic | None:
    """The diagnostic of the first known failure that ``message`` (a StatusMessage or error
    message) matches."""
    if not message:
        return None
    for pattern, known in KNOWN_FAILURES:
        if _compiled(pattern).search(message) is not None:
            return replace(known, message=message)
    return None
