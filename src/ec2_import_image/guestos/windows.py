"""What a Windows installation's registry says about its version and its drivers for EC2.

Two readers over ``registry.Hive``:

- ``read_version(software)``: ``Microsoft\\Windows NT\\CurrentVersion`` of the SOFTWARE hive:
  ProductName, EditionID, CurrentBuild (CurrentBuildNumber on older systems), UBR (the
  update build revision), InstallationType ("Client", "Server", "Server Core"),
  DisplayVersion (20H2 and later) or ReleaseId, CurrentMajorVersionNumber and
  CurrentMinorVersionNumber (Windows 10 and Server 2016 onwards; before them CurrentVersion
  holds "6.3").  Windows 11 still writes "Windows 10" in ProductName: its build, 22000 and
  later, tells it (``is_windows_11``).
- ``read_drivers(system)``: the current control set (``Select\\Current`` = N names
  ``ControlSetNNN``; the hive file has no ``CurrentControlSet``, which Windows links at boot)
  and, in its ``Services`` key, the drivers a Nitro or Xen instance needs.  A driver is
  installed when its service key has an ImagePath or a Start value; Start 4 means disabled.

The service names, each from AWS's own pages (read 2026-12-06):

- ``AWSNVMe``: the AWS NVMe driver (EC2 User Guide, "AWS NVMe drivers",
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/aws-nvme-drivers.html, which configures
  it under ``HKLM\\SYSTEM\\CurrentControlSet\\Services\\AWSNVMe\\Parameters\\Device``);
- ``ena``: the Elastic Network Adapter driver, the device "Amazon Elastic Network Adapter"
  of "Troubleshoot the Elastic Network Adapter Windows driver"
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshoot-ena-driver.html); that
  page does not name the service key: ``ena`` is the key a registry listing of an EC2
  Windows instance shows beside ``AWSNVMe`` and the ``xen*`` keys (modelled, not quoted);
- ``xenbus``, ``xenfilt``, ``xenvbd`` (the "AWS PV Storage Host Adapter"), ``xenvif``,
  ``xennet``, ``xeniface``: the AWS PV drivers ("Troubleshoot PV drivers on Windows
  instances", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/pvdrivers-troubleshooting.html,
  edits ``Services\\XENBUS``, ``Services\\xenvbd`` and ``Services\\xenfilt``); SOFTWARE's
  ``Amazon\\PVDriver`` holds the package's Version;
- ``stornvme``: Windows' own NVMe driver (Windows Server 2012 R2 and later).  See
  ``AWS_NVME_DRIVER`` for what AWS says of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.guestos.registry import Hive, Key

CURRENT_VERSION = "Microsoft\\Windows NT\\CurrentVersion"
#: the first build of Windows 11 (and of nothing older)
WINDOWS_11_BUILD = 22000

AWS_NVME = "AWSNVMe"
ENA = "ena"
INBOX_NVME = "stornvme"
#: the AWS PV driver package's services; xenvbd (storage) and xenbus (the bus) carry the disk
AWS_PV = ("xenbus", "xenfilt", "xenvbd", "xenvif", "xennet", "xeniface")
SERVICES = (ENA, AWS_NVME, INBOX_NVME, *AWS_PV)


@dataclass(frozen=True)
class SourcedFact:
    statement: str
    source: str
    read: str


#: Whether the inbox NVMe driver is enough on Nitro: AWS does not say so.  Its NVMe page
#: says the instance "must have the AWS NVMe driver installed" to use EBS volumes exposed
#: as NVMe fully, and its migration procedure to Nitro installs the AWS NVMe driver (part
#: 3) for Windows Server 2016 and later too.  stornvme binds to any standard NVMe
#: controller, so a disk is visible with it alone; the checks decide what that is worth.
AWS_NVME_DRIVER = SourcedFact(
    statement=(
        "To fully utilize the performance and capabilities of Amazon EBS features for "
        "volumes exposed as NVMe block devices, the instance must have the AWS NVMe driver "
        "installed. All current generation AWS Windows AMIs come with the AWS NVMe driver "
        "installed by default."
    ),
    source="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/aws-nvme-drivers.html",
    read="2026-12-06",
)
MIGRATION_TO_NITRO = SourcedFact(
    statement=(
        "Migrating a Windows instance to a Nitro-based type: install or upgrade the AWS PV "
        "drivers (part 1), ENA (part 2) and the AWS NVMe drivers (part 3); the procedure "
        "applies to Windows Server 2016 and later."
    ),
    source="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/migrating-latest-types.html",
    read="2026-12-06",
)


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class WindowsVersion:
    product_name: str | None
    edition_id: str | None
    #: CurrentBuild, else CurrentBuildNumber (as numbers)
    build: int | None
    #: the update build revision (the last part of 10.0.17763.5458)
    ubr: int | None
    installation_type: str | None
    #: DisplayVersion ("22H2"), else ReleaseId ("1809")
    display_version: str | None
    release_id: str | None
    major: int | None
    minor: int | None
    #: CurrentVersion as written ("6.3" on Windows 8.1/2012 R2 and, frozen, on later ones)
    current_version: str | None

    @property
    def is_server(self) -> bool:
        kind = self.installation_type or self.edition_id or ""
        return kind.lower().startswith("server")

    @property
    def is_server_core(self) -> bool:
        return (self.installation_type or "").lower() == "server core"

    @property
    def is_windows_11(self) -> bool:
        """A client whose build is Windows 11's, whatever ProductName says."""
        return not self.is_server and self.build is not None and self.build >= WINDOWS_11_BUILD

    @property
    def version(self) -> str | None:
        """The full version, e.g. "10.0.17763.5458" (None without major version and build)."""
        if self.major is None or self.minor is None or self.build is None:
            return None
        tail = f".{self.ubr}" if self.ubr is not None else ""
        return f"{self.major}.{self.minor}.{self.build}{tail}"


def read_version(software: Hive) -> WindowsVersion | None:
    """The version facts of a SOFTWARE hive; None when it has no CurrentVersion key."""
    key = software.key(CURRENT_VERSION)
    if key is None:
        return None
    current = key.string("CurrentVersion")
    major = key.integer("CurrentMajorVersionNumber")
    minor = key.integer("CurrentMinorVersionNumber")
    if major is None and current is not None:
        head, _, tail = current.partition(".")
        major, minor = _int(head), _int(tail)
    display = key.string("DisplayVersion")
    release = key.string("ReleaseId")
    return WindowsVersion(
        product_name=key.string("ProductName"),
        edition_id=key.string("EditionID"),
        build=_int(key.string("CurrentBuild")) or _int(key.string("CurrentBuildNumber")),
        ubr=key.integer("UBR"),
        installation_type=key.string("InstallationType"),
        display_version=display or release,
        release_id=release,
        major=major,
        minor=minor,
        current_version=current,
    )


def pv_driver_version(software: Hive) -> str | None:
    """The AWS PV driver package's version (SOFTWARE ``Amazon\\PVDriver``), if installed."""
    key = software.key("Amazon\\PVDriver")
    return key.string("Version") if key is not None else None


@dataclass(frozen=True)
class Service:
    """A service key of the current control set."""

    name: str
    image_path: str | None
    #: 0 boot, 1 system, 2 automatic, 3 on demand, 4 disabled
    start: int | None

    @property
    def installed(self) -> bool:
        return self.image_path is not None or self.start is not None

    @property
    def enabled(self) -> bool:
        return self.installed and self.start != 4


@dataclass(frozen=True)
class WindowsDrivers:
    control_set: str
    #: the services of ``SERVICES`` that have a key, by name as given in ``SERVICES``
    services: dict[str, Service]

    def installed(self, name: str) -> bool:
        found = self.services.get(name)
        return found is not None and found.installed

    @property
    def ena(self) -> bool:
        return self.installed(ENA)

    @property
    def aws_nvme(self) -> bool:
        return self.installed(AWS_NVME)

    @property
    def inbox_nvme(self) -> bool:
        return self.installed(INBOX_NVME)

    @property
    def aws_pv(self) -> bool:
        """The AWS PV storage path: the bus and the storage host adapter."""
        return self.installed("xenbus") and self.installed("xenvbd")


def current_control_set(system: Hive) -> str:
    """``ControlSetNNN`` named by ``Select\\Current``; malformed when it is missing."""
    select = system.key("Select")
    current = select.integer("Current") if select is not None else None
    if current is None or not 1 <= current <= 999:
        raise FormatError("the SYSTEM hive has no valid Select\\Current")
    name = f"ControlSet{current:03d}"
    if system.root.subkey(name) is None:
        raise FormatError(f"the SYSTEM hive's current control set {name} is missing")
    return name


def _service(key: Key) -> Service:
    image = key.value("ImagePath")
    return Service(
        name=key.name,
        image_path=image.string() if image is not None else None,
        start=key.integer("Start"),
    )


def read_drivers(system: Hive) -> WindowsDrivers:
    """The EC2-relevant services of a SYSTEM hive's current control set."""
    control_set = current_control_set(system)
    services = system.key(f"{control_set}\\Services")
    found: dict[str, Service] = {}
    if services is not None:
        for name in SERVICES:
            key = services.subkey(name)
            if key is not None:
                found[name] = _service(key)
    return WindowsDrivers(control_set, found)
