"""/etc/fstab, and how a device is named there or in the kernel's ``root=``.

fstab follows fstab(5) (util-linux): one file system per line, fields separated by blanks
(spaces or tabs): the device (``fs_spec``), the mount point (``fs_file``), the type
(``fs_vfstype``), the options (``fs_mntops``, ``defaults`` when absent), and two numbers
this reader does not need; ``#`` starts a comment line; blanks inside a field are written
as the octal escape ``\\040`` (and tabs ``\\011``, newlines ``\\012``, backslashes ``\\134``),
decoded here.  ``fs_spec`` is ``LABEL=``, ``UUID=``, ``PARTUUID=``, ``PARTLABEL=`` (values
may be quoted), a device path, or a pseudo file system's name.

How a device is named is what matters on Nitro instances: EBS volumes are NVMe devices
there (``/dev/nvme0n1``, in the order they answer), so a ``/dev/sda1``, ``/dev/xvda1``,
``/dev/vda1`` or ``/dev/hda1`` names nothing (see ``judge``); ImportImage rewrites such
names to UUIDs on the systems it supports (its "programmatic modifications" page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ec2_import_image.guestos.osreport import DeviceKind, FstabEntry

_OCTAL = re.compile(r"\\([0-7]{3})")
_TAGS = {
    "UUID": DeviceKind.UUID,
    "LABEL": DeviceKind.LABEL,
    "PARTUUID": DeviceKind.PARTUUID,
    "PARTLABEL": DeviceKind.PARTLABEL,
}
_BY = {
    "by-uuid": DeviceKind.UUID,
    "by-label": DeviceKind.LABEL,
    "by-partuuid": DeviceKind.PARTUUID,
    "by-partlabel": DeviceKind.PARTLABEL,
}
#: /dev/sda, /dev/hdb3, /dev/xvda1, /dev/vdc: the disk's letters and the partition's number
DEVICE_NAME = re.compile(r"/dev/(?P<kind>sd|hd|xvd|vd)(?P<disk>[a-z]+)(?P<part>\d*)")
NVME_NAME = re.compile(r"/dev/nvme(?P<controller>\d+)n(?P<namespace>\d+)(?:p(?P<part>\d+))?")
#: mount points that are not file systems of the disk (fstab entries to leave alone)
SWAP_TYPES = frozenset({"swap"})


def _unescape(field: str) -> str:
    return _OCTAL.sub(lambda match: chr(int(match.group(1), 8)), field)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass(frozen=True)
class DeviceRef:
    """A device as fstab or ``root=`` names it: the kind of name and the value in it."""

    kind: DeviceKind
    #: the UUID, label, PARTUUID... or the device path
    value: str


def classify(spec: str) -> DeviceRef:
    """How ``spec`` (an fstab device or a ``root=`` value) names its device."""
    tag, sep, value = spec.partition("=")
    if sep and tag.upper() in _TAGS:
        return DeviceRef(_TAGS[tag.upper()], _unquote(value))
    if spec.startswith("/dev/disk/"):
        parts = spec.split("/")
        if len(parts) >= 5 and parts[3] in _BY:
            return DeviceRef(_BY[parts[3]], "/".join(parts[4:]))
        return DeviceRef(DeviceKind.BY_HARDWARE, spec)
    if DEVICE_NAME.fullmatch(spec):
        return DeviceRef(DeviceKind.DEVICE_NAME, spec)
    if NVME_NAME.fullmatch(spec):
        return DeviceRef(DeviceKind.NVME, spec)
    if spec.startswith("/dev/mapper/") or re.fullmatch(r"/dev/[^/]+/[^/]+", spec):
        return DeviceRef(DeviceKind.MAPPER, spec)
    return DeviceRef(DeviceKind.OTHER, spec)


def parse_fstab(text: str) -> list[FstabEntry]:
    """The entries of an fstab (lines with fewer than three fields are not entries)."""
    entries: list[FstabEntry] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        if len(fields) < 3:
            continue
        spec, mount, kind = (_unescape(field) for field in fields[:3])
        options = _unescape(fields[3]) if len(fields) > 3 else "defaults"
        entries.append(FstabEntry(spec, mount, kind, options, classify(spec).kind))
    return entries


def mount_entry(entries: list[FstabEntry], mount: str) -> FstabEntry | None:
    """The last entry mounting at ``mount`` (a later line shadows an earlier one)."""
    found = None
    for entry in entries:
        if entry.mount.rstrip("/") == mount.rstrip("/") or entry.mount == mount:
            found = entry
    return found


def device_name_entries(entries: list[FstabEntry]) -> list[FstabEntry]:
    """The entries naming their device by a name Nitro does not give (swap included)."""
    return [entry for entry in entries if entry.kind is DeviceKind.DEVICE_NAME]


def kernel_parameter(arguments: str, name: str) -> str | None:
    """The last ``name=value`` of a kernel command line (quotes removed), or None."""
    found = None
    for word in _words(arguments):
        key, sep, value = word.partition("=")
        if sep and key == name:
            found = value
    return found


def _words(arguments: str) -> list[str]:
    """A kernel command line's words: blanks separate them, double quotes group them."""
    words: list[str] = []
    current: list[str] = []
    quoted = False
    for char in arguments:
        if char == '"':
            quoted = not quoted
            continue
        if char.isspace() and not quoted:
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        words.append("".join(current))
    return words
