"""ImportImage's operating-system check: the import's disks read in a worker, judged as the
service judges them.

The service converts the disk, then reads the guest to update it (drivers, fstab, network:
the user guide's "programmatic modifications"), and fails the task there when the system is
one it does not take: "ClientError: Unknown OS / Missing OS files", "ClientError:
Unsupported kernel version ...", "ClientError: BLSC-style GRUB found, but unable to detect
default kernel" (``guestos.judge.SERVICE_MESSAGES``, each with its evidence).  The emulator
reads the disks with the shared reader (``guestos.read.read_os``, bounded reads, the
initramfs not read: the driver codes are warnings on the image road) and judges the report
with the shared rules for the image road (``guestos.judge.judge_os``).

The read runs in the task's own daemon thread (``OsCheck``), started with the task, never
on a request's path: ImportImage answers at once, and a task whose verdict is not in yet
when it reaches the check waits there (``tasks``).

What fails is what the shared judge finds (``OsReport.identified``, ``judge_os``): a
system positively read and found unsupported (a Windows, or a Linux whose distribution was
read), or file systems all read that hold no system ("Unknown OS / Missing OS files").  A
disk whose system cannot be read (no file system that could hold one, an encrypted or
unknown one, the emulator's sample disks, a root that is only an ``/etc/fstab``), or any
error of the read, is a verdict of nothing: the task goes on as it did before the check.  Warnings
(``no-nvme-driver``, ``no-ena-driver``) and notes do not fail it either.

The verdict also says what the disk holds (``platform``): the service reports a Windows
import as Platform Windows, billed as Windows, when the request gives no Platform.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ec2_import_image.diagnostics import Severity
from ec2_import_image.diskimage.blob import Blob
from ec2_import_image.diskimage.cache import CachedBlob
from ec2_import_image.guestos.judge import judge_os, service_message
from ec2_import_image.guestos.osreport import OsFamily, OsReport
from ec2_import_image.guestos.read import read_os
from ec2_import_image.roads import Road

LOG = logging.getLogger("ec2_import_emulator")

LINUX, WINDOWS = "Linux", "Windows"


@dataclass(frozen=True)
class OsVerdict:
    """What the service's check of the guest ends with."""

    #: the task's StatusMessage when the service refuses the system (None: it goes on)
    failure: str | None = None
    #: the Platform the service reports, when a system was found (None: not read)
    platform: str | None = None


NOT_READ = OsVerdict()


def verdict(report: OsReport) -> OsVerdict:
    """The service's word on the system of ``report`` (pure): the image road's errors of the
    shared judge (``judge_os``: an identified system, or file systems read that hold none),
    each with the service's message."""
    platform = None
    if report.found and report.family is not None:
        platform = WINDOWS if report.family is OsFamily.WINDOWS else LINUX
    for problem in judge_os(report, Road.IMAGE):
        if problem.severity is Severity.ERROR:
            message = service_message(problem, report)
            if message is not None:
                return OsVerdict(message, platform)
    return OsVerdict(platform=platform)


def read_verdict(disks: Callable[[], Sequence[Blob]], name: str) -> OsVerdict:
    """Read the system on ``disks`` (the boot disk first) and judge it; any error of the
    read is ``NOT_READ`` (logged), as a system that cannot be read."""
    try:
        report = read_os([CachedBlob(disk) for disk in disks()], read_initramfs=False)
    except Exception as error:
        LOG.warning("the operating system of %s was not read: %s", name, error)
        return NOT_READ
    return verdict(report)


class OsCheck:
    """One import's check of its guest, running in its own daemon thread from creation."""

    def __init__(self, read: Callable[[], OsVerdict], name: str) -> None:
        self._read = read
        self._done = threading.Event()
        self._verdict = NOT_READ
        self._thread = threading.Thread(target=self._run, name=f"os-check {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._verdict = self._read()
        except Exception:
            LOG.exception("the operating-system check failed")
        finally:
            self._done.set()

    @property
    def verdict(self) -> OsVerdict | None:
        """The verdict, None while the read runs."""
        return self._verdict if self._done.is_set() else None

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the verdict; whether it is in."""
        return self._done.wait(timeout)
