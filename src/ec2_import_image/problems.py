"""The codes of the problems a check finds, and their severities (disk and account alike).

Shared by everything that judges an import before or after it runs: the
disk-image checks (``diskimage``), the guest OS's (``guestos``), the account
checks of ``vmimport``, the emulator's verdicts.  A problem is a
``diagnostics.Diagnostic`` whose subject is the disk (``file.ova!disk.vmdk``
inside an OVA) or the account resource concerned.

Each code has one fixed severity (``SEVERITY``): an ``error`` means VM Import
refuses or fails the import, a ``warning`` that it may still succeed.  The
operating system's codes are judged per road to an AMI (ImportImage, ImportSnapshot,
EBS direct): their severity depends on the road (``guestos.judge.ROAD_SEVERITY``), and
a ``note`` says what the road will change in the guest, with nothing to do (the image
road rewrites fstab's device names and static addresses).  The codes, what triggers
each and whether the service is known to fail that way are in docs/checks.md.
"""

from __future__ import annotations

from enum import StrEnum

from ec2_import_image.diagnostics import Diagnostic, Severity


class ProblemCode(StrEnum):
    UNSUPPORTED_FORMAT = "unsupported-format"
    FORMAT_MISMATCH = "format-mismatch"
    VMDK_NOT_STREAM_OPTIMIZED = "vmdk-not-stream-optimized"
    VMDK_DESCRIPTOR_ONLY = "vmdk-descriptor-only"
    DIFFERENCING_DISK = "differencing-disk"
    VHD_FOOTER_MISMATCH = "vhd-footer-mismatch"
    OVA_NO_DESCRIPTOR = "ova-no-descriptor"
    OVA_MISSING_DISK = "ova-missing-disk"
    OVA_MANIFEST_MISMATCH = "ova-manifest-mismatch"
    OVA_CHUNKED_DISK = "ova-chunked-disk"
    TRUNCATED = "truncated"
    TOO_LARGE = "too-large"
    NO_PARTITION_TABLE = "no-partition-table"
    BOOT_MODE_MISMATCH = "boot-mode-mismatch"
    BOOT_MODE_UNSUPPORTED = "boot-mode-unsupported"
    UEFI_NO_FALLBACK_LOADER = "uefi-no-fallback-loader"
    ESP_NOT_FAT = "esp-not-fat"
    ENCRYPTED_VOLUME = "encrypted-volume"
    UNSUPPORTED_FILESYSTEM = "unsupported-filesystem"
    ARM64_UNSUPPORTED = "arm64-unsupported"
    TOO_MANY_VOLUMES = "too-many-volumes"
    #: a platform the road does not take (Windows off the image road: ``roads``)
    PLATFORM_UNSUPPORTED = "platform-unsupported"
    # the operating system's (guestos.judge: severity per road)
    OS_NOT_FOUND = "os-not-found"
    OS_UNSUPPORTED = "os-unsupported"
    KERNEL_UNSUPPORTED = "kernel-unsupported"
    KERNEL_UNDETERMINED = "kernel-undetermined"
    FSTAB_DEVICE_NAMES = "fstab-device-names"
    STATIC_NETWORK = "static-network"
    NO_NVME_DRIVER = "no-nvme-driver"
    NO_ENA_DRIVER = "no-ena-driver"
    # the account's (vmimport check with an s3:// DISK or --bucket)
    ROLE_MISSING = "role-missing"
    ROLE_TRUST = "role-trust"
    ROLE_POLICY_S3 = "role-policy-s3"
    ROLE_POLICY_EC2 = "role-policy-ec2"
    ROLE_POLICY_KMS = "role-policy-kms"
    BUCKET_REGION = "bucket-region"
    OBJECT_MISSING = "object-missing"
    CALLER_IS_ROOT = "caller-is-root"
    ACCOUNT_UNKNOWN = "account-unknown"


SEVERITY: dict[ProblemCode, Severity] = {
    **dict.fromkeys(ProblemCode, Severity.ERROR),
    ProblemCode.UNSUPPORTED_FILESYSTEM: Severity.WARNING,
    ProblemCode.ACCOUNT_UNKNOWN: Severity.WARNING,
}


def problem(code: ProblemCode, subject: str, message: str, remedy: str) -> Diagnostic:
    """A problem of ``subject`` with its code's fixed severity, and its fix (the hint)."""
    return Diagnostic(code, message, SEVERITY[code], subject=subject, hint=remedy)
