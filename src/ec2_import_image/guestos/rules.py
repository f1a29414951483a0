"""What ImportImage takes: the operating systems and kernels of AWS's requirements page.

The facts, as the pages give them, with where and when they were read (the search tool's
stored copies of the VM Import/Export User Guide; the live page is not reachable from
here).  The newest copy found of "Requirements for resources that you import with VM
Import/Export" (https://docs.aws.amazon.com/vm-import/latest/userguide/prerequisites.html)
is AWS's Traditional Chinese machine translation, whose table cells are the English page's:
it lists Amazon Linux 2023, CentOS 9, Debian 12.2 and 12.4, Fedora 37 to 39.  The stored
copy stops inside Oracle Linux's rows, so:

- the rows of Amazon Linux, CentOS, Debian and Fedora are complete (the next distribution,
  Oracle Linux, follows them): a version of these four that no row lists is not taken;
- Oracle Linux, Red Hat Enterprise Linux, SUSE Linux Enterprise Server and Ubuntu rows
  come from the older English copy (before Amazon Linux 2023 was added; it stops at
  Ubuntu 14.04): what they list is taken, but a version they do not list may be on the
  newest page, so it is not judged (``Support.UNKNOWN``);
- the table lists distributions alphabetically (every copy read does); a distribution
  whose name sorts before Oracle Linux and is absent from the complete part is not
  taken (``ABSENT``: AlmaLinux, Alpine, Arch, Gentoo, Linux Mint, NixOS, ...); any other
  distribution may be in the part not read, and is not judged.

Windows rows come from the user guide's source of 2022-12-02
(awsdocs/vm-import-export-user-guide, doc_source/prerequisites.md); newer Windows
releases (Server 2022, 2025) may be on the newest page, so only what is older than every
row (Windows 2000, XP, Vista) and Nano Server (footnote 3: "Nano Server installations are
not supported") are judged not taken.

Kernels: a row's kernel column lists versions ("2.6.32", "4.14, 4.19, 5.4, 5.10", "6.1");
a kernel is listed when its release starts with one of them component by component
("6.1.0-13-amd64" under "6.1.0" and "6.1"; "5.10.220-209.869.amzn2.x86_64" under "5.10";
not "6.10.1" under "6.1").  Oracle Linux 5's "el5uek kernel suffixes" is a suffix.  The
service's own messages quote the kernel release it refused ("ClientError: Unsupported
kernel version 4.18.0-15-generic", teamdfir/sift#465, an Ubuntu 18.04 HWE kernel).

What ImportImage changes in a Linux guest (the "programmatic modifications" page, read
in the same copies): Citrix PV drivers into the OS or its initrd, network scripts from
static to dynamic addresses, fstab's device names to UUIDs (``nofail`` where no UUID is
found), GRUB's default entry and timeout.  Nothing about NVMe or ENA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

READ = "2026-12-06"
PREREQUISITES = "https://docs.aws.amazon.com/vm-import/latest/userguide/prerequisites.html"
MODIFICATIONS = "https://docs.aws.amazon.com/vm-import/latest/userguide/import-modify-vm.html"


@dataclass(frozen=True)
class PageCopy:
    """A stored copy of a page: where it was read, what it holds, when."""

    url: str
    note: str
    read: str = READ


NEWEST = PageCopy(
    "https://docs---aws.amazon.com.rproxy.govskope.ca/zh_tw/vm-import/latest/userguide/"
    "prerequisites.html",
    "AWS's machine translation of the requirements page (table cells in English), the "
    "newest copy found: Amazon Linux 2023 to Fedora 39 complete, stops in Oracle Linux",
)
ENGLISH = PageCopy(
    PREREQUISITES,
    "the English requirements page as stored (older: no Amazon Linux 2023, no CentOS 9); "
    "Oracle Linux to Ubuntu 13.10, stops at Ubuntu 14.04",
)
GUIDE_SOURCE = PageCopy(
    "https://github.com/awsdocs/vm-import-export-user-guide/blob/main/doc_source/prerequisites.md",
    "the user guide's source of 2022-12-02: the Windows table",
)
MODIFICATIONS_COPY = PageCopy(
    MODIFICATIONS,
    "Programmatic modifications to VMs (English source of 2022-12-02, and the translated "
    "copies): PV drivers, static to dynamic IPs, fstab device names to UUIDs, GRUB defaults",
)


@dataclass(frozen=True)
class LinuxRow:
    """One row of the Linux table, its cells as the page writes them."""

    version: str
    kernel: str
    service_pack: str
    copy: PageCopy


@dataclass(frozen=True)
class Distribution:
    name: str
    #: os-release IDs (and VERSION_IDs when one name covers several products)
    ids: tuple[str, ...]
    rows: tuple[LinuxRow, ...]
    #: every row of the newest copy was read
    complete: bool
    #: only these VERSION_IDs are this product (Amazon Linux 2 and 2023 share ``amzn``)
    versions: tuple[str, ...] = ()


def _rows(copy: PageCopy, *cells: tuple[str, str, str]) -> tuple[LinuxRow, ...]:
    return tuple(LinuxRow(version, kernel, pack, copy) for version, kernel, pack in cells)


LINUX: tuple[Distribution, ...] = (
    Distribution("Amazon Linux 2023", ("amzn",), _rows(NEWEST, ("-", "6.1", "-")), True, ("2023",)),
    Distribution(
        "Amazon Linux 2",
        ("amzn",),
        _rows(NEWEST, ("-", "4.14, 4.19, 5.4, 5.10", "-")),
        True,
        ("2",),
    ),
    Distribution(
        "CentOS",
        ("centos",),
        _rows(
            NEWEST,
            ("5.1-5.11", "2.6.18", "-"),
            ("6.1-6.8", "2.6.32", "-"),
            ("7.0–7.9", "3.10.0", "-"),
            ("8.0–8.2", "4.18.0", "-"),
            ("9", "5.14.0", "-"),
        ),
        True,
    ),
    Distribution(
        "Debian",
        ("debian",),
        _rows(
            NEWEST,
            ("6.0.0—6.0.8", "2.6.32", "-"),
            ("7.0.0—7.8.0", "3.2.0", "-"),
            ("10", "4.19.0", "-"),
            ("11", "5.10.0", "-"),
            ("12.2", "6.1.0", "-"),
            ("12.4", "6.1.0", "-"),
        ),
        True,
    ),
    Distribution(
        "Fedora",
        ("fedora",),
        _rows(
            NEWEST,
            ("18", "3.2.5", "-"),
            ("19", "3.9.5", "-"),
            ("20", "3.11.10", "-"),
            ("37", "6.0.7", "-"),
            ("38", "6.2.9", "-"),
            ("39", "6.5.6", "-"),
        ),
        True,
    ),
    Distribution(
        "Oracle Linux",
        ("ol",),
        (
            *_rows(
                ENGLISH,
                ("5.10–5.11", "el5uek kernel suffixes", "-"),
                (
                    "6.1–6.10",
                    "RHEL-compatible kernels 2.6.32, 2.6.39 UEK kernels 3.8.13, 4.1.12",
                    "-",
                ),
                (
                    "7.0–7.6",
                    "RHEL compatible kernel 3.10.0 UEK kernels 3.8.13, 4.1.12, 4.14.35, 4.15, "
                    "5.4.17",
                    "-",
                ),
            ),
        ),
        False,
    ),
    Distribution(
        "Red Hat Enterprise Linux (RHEL)",
        ("rhel",),
        _rows(
            ENGLISH,
            ("5", "2.6.18", "-"),
            ("6", "2.6.32", "-"),
            ("7", "3.10.0", "-"),
            ("8.0–8.6", "4.18.0", "-"),
        ),
        False,
    ),
    Distribution(
        "SUSE Linux Enterprise Server (SLES)",
        ("sles", "sles_sap"),
        _rows(
            ENGLISH,
            ("11", "2.6.32.12", "1"),
            ("11", "3.0.13", "2"),
            ("11", "3.0.76, 3.0.101, 3.0.101", "3"),
            ("11", "3.0.101", "4"),
            ("12", "3.12.28", "None"),
            ("12", "3.12.49", "1"),
            ("12", "4.4", "2, 3"),
            ("12", "4.12", "4, 5"),
            ("15", "4.12", "None, 1"),
            ("15", "5.3", "2, 3"),
        ),
        False,
    ),
    Distribution(
        "Ubuntu",
        ("ubuntu",),
        _rows(
            ENGLISH,
            ("12.04", "3.2", "-"),
            ("12.10", "3.5", "-"),
            ("13.04", "3.8", "-"),
            ("13.10", "3.11", "-"),
        ),
        False,
    ),
)

#: os-release IDs of distributions whose names sort before "Oracle Linux" and that the
#: complete part of the newest copy does not list: not taken (see the module's docstring)
ABSENT: dict[str, str] = {
    "almalinux": "AlmaLinux",
    "alpine": "Alpine Linux",
    "arch": "Arch Linux",
    "clear-linux-os": "Clear Linux",
    "elementary": "elementary OS",
    "endeavouros": "EndeavourOS",
    "flatcar": "Flatcar Container Linux",
    "gentoo": "Gentoo",
    "kali": "Kali Linux",
    "linuxmint": "Linux Mint",
    "manjaro": "Manjaro",
    "mageia": "Mageia",
    "nixos": "NixOS",
}


class Support(StrEnum):
    TAKEN = "taken"
    NOT_TAKEN = "not-taken"
    #: the rows that would say were not read
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    support: Support
    #: the rows the verdict rests on (the distribution's, or the version's)
    rows: tuple[LinuxRow, ...]
    detail: str
    distribution: Distribution | None = None


# -- versions and kernels --------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*[-–—]\s*(\d+(?:\.\d+)*)\s*$")


def _numbers(text: str) -> tuple[int, ...]:
    match = _NUMBER.match(text.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def version_in_row(row: LinuxRow, version: str) -> bool:
    """The version is the row's: in its range, or the row's number at the row's precision."""
    if row.version.strip() == "-":
        return True
    wanted = _numbers(version)
    if not wanted:
        return False
    ranged = _RANGE.match(row.version)
    if ranged:
        low, high = _numbers(ranged.group(1)), _numbers(ranged.group(2))
        width = max(len(low), len(high))
        padded = (wanted + (0,) * width)[:width]
        return low <= padded <= high
    listed = _numbers(row.version)
    return wanted[: len(listed)] == listed


def row_major(row: LinuxRow) -> int | None:
    numbers = _numbers(row.version.replace("—", "-").replace("–", "-"))
    return numbers[0] if numbers else None


def row_kernels(row: LinuxRow) -> tuple[str, ...]:
    """The kernel versions a row lists."""
    return tuple(dict.fromkeys(_NUMBER.findall(row.kernel)))


def kernel_listed(row: LinuxRow, kernel: str) -> bool:
    """The kernel release is one the row lists (component by component; see above)."""
    if "el5uek" in row.kernel:
        return "el5uek" in kernel
    release = _numbers(kernel)
    for listed in row_kernels(row):
        numbers = tuple(int(part) for part in listed.split("."))
        if release[: len(numbers)] == numbers:
            return True
    return False


def _service_packs(row: LinuxRow) -> set[int]:
    packs: set[int] = set()
    for word in re.split(r"[,\s]+", row.service_pack):
        if word == "None":
            packs.add(0)
        elif word.isdigit():
            packs.add(int(word))
    return packs


# -- the verdicts ---------------------------------------------------------------------------


def distribution_of(os_id: str | None, version: str | None) -> Distribution | None:
    if os_id is None:
        return None
    for distribution in LINUX:
        if os_id in distribution.ids and (
            not distribution.versions or (version or "") in distribution.versions
        ):
            return distribution
    return None


def linux_support(os_id: str | None, version: str | None) -> Verdict:
    """Whether ImportImage takes this distribution and version (see the module)."""
    if os_id is None or not version:
        return Verdict(Support.UNKNOWN, (), "the distribution or its version was not read")
    distribution = distribution_of(os_id, version)
    if distribution is None:
        if os_id in ABSENT:
            return Verdict(
                Support.NOT_TAKEN,
                (),
                f"{ABSENT[os_id]} is not among the systems the requirements page lists",
            )
        if os_id == "amzn":
            return Verdict(
                Support.NOT_TAKEN, (), f"Amazon Linux {version} is not among the listed versions"
            )
        return Verdict(
            Support.UNKNOWN, (), f"{os_id} is not in the part of the requirements page read"
        )
    rows = tuple(row for row in distribution.rows if version_in_row(row, version))
    if rows:
        return Verdict(
            Support.TAKEN, rows, f"{distribution.name} {version} is listed", distribution
        )
    major = _numbers(version)[:1]
    same_major = tuple(row for row in distribution.rows if major and row_major(row) == major[0])
    listed = ", ".join(dict.fromkeys(row.version for row in distribution.rows))
    if same_major:
        versions = ", ".join(row.version for row in same_major)
        return Verdict(
            Support.TAKEN,
            same_major,
            f"{distribution.name} {version}: the page lists {versions} of the same major "
            "version; judged by its kernel",
            distribution,
        )
    if distribution.complete:
        return Verdict(
            Support.NOT_TAKEN,
            (),
            f"{distribution.name} {version} is not listed (the page lists {listed})",
            distribution,
        )
    return Verdict(
        Support.UNKNOWN,
        (),
        f"{distribution.name} {version} is not in the rows read ({listed}); newer rows were "
        "not read",
        distribution,
    )


def kernel_support(verdict: Verdict, kernel: str, service_pack: int | None = None) -> Verdict:
    """Whether the kernel is one the version's rows list (SLES: the service pack's rows)."""
    rows = verdict.rows
    if service_pack is not None and any(row.service_pack not in ("-", "") for row in rows):
        rows = tuple(row for row in rows if service_pack in _service_packs(row)) or rows
    if not rows:
        return Verdict(Support.UNKNOWN, (), "no row to judge the kernel by")
    if any(kernel_listed(row, kernel) for row in rows):
        return Verdict(Support.TAKEN, rows, f"kernel {kernel} is listed")
    kernels = ", ".join(dict.fromkeys(kernel for row in rows for kernel in row_kernels(row)))
    listed = kernels or "; ".join(row.kernel for row in rows)
    return Verdict(Support.NOT_TAKEN, rows, f"kernel {kernel} is not among those listed ({listed})")


# -- Windows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowsRow:
    system: str
    editions: str
    bits: str


WINDOWS: tuple[WindowsRow, ...] = (
    WindowsRow(
        "Microsoft Windows Server 2003 (Service Pack 1 or later)",
        "Standard, Datacenter, Enterprise",
        "32, 64",
    ),
    WindowsRow("Microsoft Windows Server 2003 R2", "Standard, Datacenter, Enterprise", "32, 64"),
    WindowsRow("Microsoft Windows Server 2008", "Standard, Datacenter, Enterprise", "32, 64"),
    WindowsRow(
        "Microsoft Windows Server 2008 R2", "Standard, Web Server, Datacenter, Enterprise", "64"
    ),
    WindowsRow("Microsoft Windows Server 2012", "Standard, Datacenter", "64"),
    WindowsRow("Microsoft Windows Server 2012 R2", "Standard, Datacenter", "64"),
    WindowsRow("Microsoft Windows Server 2016", "Standard, Datacenter 3", "64"),
    WindowsRow("Microsoft Windows Server 1709", "Standard, Datacenter", "64"),
    WindowsRow("Microsoft Windows Server 1803", "Standard, Datacenter", "64"),
    WindowsRow("Microsoft Windows Server 2019", "Standard, Datacenter", "64"),
    WindowsRow("Microsoft Windows 7 1", "Home, Professional, Enterprise, Ultimate", "32, 64 4"),
    WindowsRow("Microsoft Windows 8 1", "Home, Professional, Enterprise", "32, 64 4"),
    WindowsRow("Microsoft Windows 8.1 1", "Professional, Enterprise", "64"),
    WindowsRow("Microsoft Windows 10 1", "Home, Professional, Enterprise, Education", "64"),
    WindowsRow("Microsoft Windows 11 1,2", "Home, Professional, Enterprise, Education", "64"),
)
#: (server, major, minor, first build, row index) to name a Windows from its version
_WINDOWS_NAMES: tuple[tuple[bool, int, int, int, int], ...] = (
    (True, 5, 2, 0, 0),
    (True, 6, 0, 0, 2),
    (True, 6, 1, 0, 3),
    (True, 6, 2, 0, 4),
    (True, 6, 3, 0, 5),
    (True, 10, 0, 14393, 6),
    (True, 10, 0, 16299, 7),
    (True, 10, 0, 17134, 8),
    (True, 10, 0, 17763, 9),
    (False, 6, 1, 0, 10),
    (False, 6, 2, 0, 11),
    (False, 6, 3, 0, 12),
    (False, 10, 0, 10240, 13),
    (False, 10, 0, 22000, 14),
)
#: server builds newer than the table's: Server 2022 (20348) and later may be on the
#: newest page
_NEWER_SERVER_BUILD = 17764


def windows_support(
    server: bool,
    major: int | None,
    minor: int | None,
    build: int | None,
    installation_type: str | None,
) -> tuple[Support, str, WindowsRow | None]:
    """Whether ImportImage takes this Windows (see the module's docstring)."""
    if (installation_type or "").lower() == "nano server":
        return Support.NOT_TAKEN, "Nano Server installations are not supported", None
    if major is None or minor is None:
        return Support.UNKNOWN, "the Windows version was not read", None
    if (major, minor) < (5, 2) or (not server and (major, minor) == (6, 0)):
        names = {(5, 0): "Windows 2000", (5, 1): "Windows XP", (6, 0): "Windows Vista"}
        name = names.get((major, minor), f"Windows {major}.{minor}")
        return Support.NOT_TAKEN, f"{name} is older than every Windows the page lists", None
    if server and major == 10 and (build or 0) >= _NEWER_SERVER_BUILD:
        return (
            Support.UNKNOWN,
            f"Windows Server build {build} is newer than the rows read (2022-12-02)",
            None,
        )
    chosen: WindowsRow | None = None
    for is_server, row_major_, row_minor, first_build, index in _WINDOWS_NAMES:
        same = is_server == server and (row_major_, row_minor) == (major, minor)
        if same and (build or 0) >= first_build:
            chosen = WINDOWS[index]
    if chosen is None:
        return (
            Support.UNKNOWN,
            f"Windows {major}.{minor} build {build} is not in the rows read",
            None,
        )
    return Support.TAKEN, f"{chosen.system} is listed", chosen
