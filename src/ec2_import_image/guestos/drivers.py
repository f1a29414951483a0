"""The drivers a kernel has for EC2's devices: NVMe and ENA on Nitro, Xen's front ends.

On a Nitro instance the root volume is an NVMe device and the network an Elastic Network
Adapter (AWS: "Amazon EBS volumes are exposed as NVMe block devices on Amazon EC2
instances built on the AWS Nitro System", EBS user guide, "Amazon EBS volumes and NVMe",
https://docs.aws.amazon.com/ebs/latest/userguide/nvme-ebs-volumes.html; "All Nitro-based
instances use ENA for enhanced networking", EC2 user guide, "Enhanced networking on Amazon
EC2 instances", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enhanced-networking.html;
both read 2026-12-07).  The NVMe driver must be there before the root file system is
mounted: built into the kernel, or in the initramfs the boot loader loads with it.  A
module only under ``/lib/modules/KVER`` comes too late (the kernel cannot reach the disk
that holds it).  ENA is loaded by the booted system, so a module is enough.

For the kernel ``KVER`` (with merged /usr, ``/lib`` is a link to ``usr/lib``, which the
path layer follows; ``/usr/lib/modules`` is tried too):

- ``builtin``: ``/lib/modules/KVER/modules.builtin`` lists ``kernel/.../nvme.ko`` (the
  kernel's list of what was built in, modules.builtin(5));
- ``initramfs``: the default entry's initrd files (else ``/boot/initrd.img-KVER``
  (initramfs-tools), ``/boot/initramfs-KVER.img`` (dracut on RHEL and Fedora),
  ``/boot/initrd-KVER`` (dracut on SUSE)), read as one buffer as the kernel reads them (the
  boot loader loads them one after another from 4-byte boundaries), hold
  ``lib/modules/KVER/.../nvme.ko[.xz|.zst|.gz]``
  (``initramfs``); read only when the caller asks (``read_initramfs``: an initramfs is tens
  of megabytes, which a read over S3 may skip);
- ``module``: the module's file is under ``/lib/modules/KVER`` (at its place in the
  kernel's tree, else wherever ``modules.dep`` puts it: DKMS builds go to ``updates/``);
- ``missing``: none of these.

When ``/lib/modules/KVER`` is not there at all nothing can be told and no driver is
judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ec2_import_image.diskimage.blob import Blob, ConcatBlob
from ec2_import_image.diskimage.errors import DiskImageError, SourceError
from ec2_import_image.fsread.tree import LinkLoop, NotADirectory, NotFound, TooLarge, Tree
from ec2_import_image.guestos.initramfs import MODULE_SUFFIXES, has_module, read_initramfs
from ec2_import_image.guestos.osreport import Drivers, DriverState, InitramfsFacts
from ec2_import_image.guestos.system import LinuxSystem

MODULE_ROOTS = ("/lib/modules", "/usr/lib/modules")
#: modules.builtin is tens of KiB, modules.dep a few MiB at most
BUILTIN_LIMIT = 4 * 1024 * 1024
DEP_LIMIT = 16 * 1024 * 1024
_MISSING = (NotFound, NotADirectory, LinkLoop)


@dataclass(frozen=True)
class Module:
    name: str
    #: its place in the kernel's tree, without the suffix
    path: str


NVME = Module("nvme", "kernel/drivers/nvme/host/nvme")
ENA = Module("ena", "kernel/drivers/net/ethernet/amazon/ena/ena")
XEN_BLOCK = Module("xen-blkfront", "kernel/drivers/block/xen-blkfront")
XEN_NET = Module("xen-netfront", "kernel/drivers/net/xen-netfront")
MODULES = (NVME, ENA, XEN_BLOCK, XEN_NET)


def initramfs_names(kernel: str) -> tuple[str, ...]:
    """The names an initramfs of ``kernel`` has under /boot, by the tools that make them."""
    return (
        f"initrd.img-{kernel}",
        f"initramfs-{kernel}.img",
        f"initrd-{kernel}",
        f"initrd-{kernel}.img",
        f"initramfs-{kernel}",
    )


def _stem(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    for suffix in MODULE_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.replace("-", "_")


@dataclass
class _Modules:
    """What /lib/modules/KVER says of the modules."""

    directory: str
    tree: Tree
    builtin: set[str] = field(default_factory=set)
    _dep: set[str] | None = None

    def file(self, module: Module) -> bool:
        for suffix in MODULE_SUFFIXES:
            if self.tree.exists(f"{self.directory}/{module.path}{suffix}"):
                return True
        return _stem(module.path) in self.dep()

    def dep(self) -> set[str]:
        if self._dep is None:
            self._dep = set()
            try:
                text = self.tree.read_text(f"{self.directory}/modules.dep", limit=DEP_LIMIT)
            except (*_MISSING, TooLarge):
                return self._dep
            for line in text.splitlines():
                path = line.partition(":")[0].strip()
                if path:
                    self._dep.add(_stem(path))
        return self._dep


def _modules(tree: Tree, kernel: str) -> _Modules | None:
    for root in MODULE_ROOTS:
        directory = f"{root}/{kernel}"
        if tree.is_dir(directory):
            found = _Modules(directory, tree)
            try:
                text = tree.read_text(f"{directory}/modules.builtin", limit=BUILTIN_LIMIT)
            except (*_MISSING, TooLarge):
                text = ""
            found.builtin = {_stem(line.strip()) for line in text.splitlines() if line.strip()}
            return found
    return None


def _initramfs(
    system: LinuxSystem, kernel: str, entry_initrd: tuple[str, ...], read: bool
) -> tuple[InitramfsFacts, set[str]]:
    """The initramfs files of the kernel, and (when read) the modules of KVER they hold."""
    files: list[tuple[Tree, str, str]] = []
    for path in entry_initrd:
        found = system.entry_file(path)
        if found is not None:
            files.append(found)
    if not files:
        for name in initramfs_names(kernel):
            found = system.entry_file(f"/{name}")
            if found is not None:
                files.append(found)
                break
    shown = tuple(path for _, _, path in files)
    if not files:
        return InitramfsFacts((), False, "no initramfs of the kernel was found"), set()
    if not read:
        return InitramfsFacts(shown, False), set()
    # the boot loader loads the files one after another, each from a 4-byte boundary (zeros
    # between them, which the kernel skips), and the kernel unpacks them as one buffer
    pieces: list[tuple[int, Blob | None]] = []
    for tree, path, _display in files:
        blob = system.blob(tree, path)
        pieces.append((blob.size, blob))
        if blob.size % 4:
            pieces.append((4 - blob.size % 4, None))
    try:
        image = read_initramfs(ConcatBlob(pieces))
    except SourceError:
        raise
    except (DiskImageError, LookupError) as error:
        return InitramfsFacts(shown, False, f"{', '.join(shown)}: {error}"), set()
    present = {module.name for module in MODULES if has_module(image.entries, kernel, module.name)}
    compressions = tuple(archive.compression.value for archive in image.archives)
    facts = InitramfsFacts(shown, True, None, compressions, NVME.name in present)
    return facts, present


def _state(module: Module, modules: _Modules, initramfs: set[str]) -> DriverState:
    if _stem(module.path) in modules.builtin:
        return DriverState.BUILTIN
    if module.name in initramfs:
        return DriverState.INITRAMFS
    if modules.file(module):
        return DriverState.MODULE
    return DriverState.MISSING


def read_drivers(
    system: LinuxSystem, kernel: str, entry_initrd: tuple[str, ...], *, read_initramfs: bool
) -> tuple[Drivers | None, InitramfsFacts, list[str]]:
    """The drivers of ``kernel``, its initramfs, and what was noted on the way."""
    findings: list[str] = []
    initramfs, present = _initramfs(system, kernel, entry_initrd, read_initramfs)
    if initramfs.error is not None and initramfs.paths:
        findings.append(f"the initramfs could not be read: {initramfs.error}")
    modules = _modules(system.root, kernel)
    if modules is None:
        findings.append(f"no /lib/modules/{kernel}: the kernel's drivers cannot be told")
        return None, initramfs, findings
    drivers = Drivers(
        nvme=_state(NVME, modules, present),
        ena=_state(ENA, modules, present),
        xen=_state(XEN_BLOCK, modules, present),
        xen_net=_state(XEN_NET, modules, present),
    )
    return drivers, initramfs, findings
