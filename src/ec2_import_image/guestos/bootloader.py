"""Which kernel a Linux system boots: its boot loader's configuration and default entry.

The configurations, in the order they are looked for under /boot (the /boot volume when
/boot is separate, see ``system``):

- GRUB 2: ``grub2/grub.cfg`` (RHEL, Fedora, SUSE), ``grub/grub.cfg`` (Debian, Ubuntu), run
  by ``grubcfg`` with the ``grubenv`` beside it; a grub.cfg that builds no menu and hands
  over (``configfile``) is a stub and the next one is read.  When it runs ``blscfg``, the
  menu's entries come from ``loader/entries/*.conf`` in ``bls``'s order (GRUB2_BLS);
- GRUB legacy: ``grub/menu.lst``, ``grub/grub.conf`` (``menulst``).

The default entry: GRUB 2's ``default`` variable once grub.cfg has run (a number, a
title, an id, ``>`` between submenu levels; ``${saved_entry}`` from grubenv when
GRUB_DEFAULT=saved); GRUB legacy's ``default N``.  A GRUB 2 default that selects nothing
boots the first entry (GRUB's own fall-back), except with BLS entries: there, no default
(or one naming no entry) and more than one entry is what ImportImage reports as "BLSC-style
GRUB found, but unable to detect default kernel" (wazuh/wazuh-packages#2985), so the
default kernel is undetermined and no guess is made.

A default that lives where the readers do not reach is not judged (neither called
undetermined nor guessed): a grubenv that is a link out of the image's file systems (RHEL 8
on UEFI links /boot/grub2/grubenv into the EFI system partition), or no configuration under
/boot while fstab mounts an ESP on /boot/efi (where RHEL 8 keeps grub.cfg on UEFI).

The default entry gives the kernel (its file's name after ``vmlinuz-``, links followed),
its initrd files and its command line (``root=``).  Several different configurations
(a GRUB 2 and a legacy one, or two GRUB 2 ones whose menus differ) are noted:
ImportImage refuses them ("Multiple different grub/menu.lst files found").
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ec2_import_image.guestos import bls, grubcfg, menulst
from ec2_import_image.guestos.osreport import BootLoader
from ec2_import_image.guestos.system import LinuxSystem

GRUB2_CONFIGS = ("grub2/grub.cfg", "grub/grub.cfg")
LEGACY_CONFIGS = ("grub/menu.lst", "grub/grub.conf")
BLS_DIRECTORY = "loader/entries"
#: a grub.cfg is rarely 100 KiB; generated ones with many kernels stay far below this
CONFIG_LIMIT = 4 * 1024 * 1024
KERNEL_PREFIXES = ("vmlinuz-", "vmlinux-", "kernel-")


@dataclass
class BootEntry:
    """A menu entry, whichever configuration it comes from."""

    title: str
    id: str | None
    kernel: str | None
    initrd: tuple[str, ...]
    options: str
    children: list[BootEntry] | None = None
    from_bls: bool = False


@dataclass
class BootChoice:
    loader: BootLoader | None
    #: the configuration read (/boot/...)
    config: str | None
    entry: BootEntry | None = None
    kernel: str | None = None
    #: why no default kernel could be determined
    undetermined: str | None = None
    #: what GRUB boots all the same when ImportImage cannot tell (the first BLS entry)
    fallback_entry: BootEntry | None = None
    fallback_kernel: str | None = None
    findings: list[str] = field(default_factory=list)


def kernel_version(name: str) -> str | None:
    """The version in a kernel file's name: ``vmlinuz-6.1.0-13-amd64`` -> ``6.1.0-13-amd64``."""
    base = posixpath.basename(name)
    for prefix in KERNEL_PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix):
            return base[len(prefix) :]
    return None


def _matches(entry: BootEntry, part: str) -> bool:
    return entry.title == part or (entry.id is not None and entry.id == part)


def resolve_default(items: list[BootEntry], default: str | None) -> BootEntry | None:
    """The entry ``default`` selects: a number, a title or an id per level, ``>`` between
    submenu levels; None when it selects a submenu or nothing."""
    found = _walk(items, default)
    return found if found is not None and found.children is None else None


def _walk(items: list[BootEntry], default: str | None) -> BootEntry | None:
    """What ``default`` selects, a submenu included (None: nothing)."""
    if not items:
        return None
    path = (default if default else "0").split(">")
    level = items
    found: BootEntry | None = None
    for index, raw in enumerate(path):
        part = raw.strip()
        if part.isdigit():
            number = int(part)
            found = level[number] if number < len(level) else None
        else:
            found = next((item for item in level if _matches(item, part)), None)
        if found is None:
            return None
        if found.children is not None and index < len(path) - 1:
            level = found.children
        elif index < len(path) - 1:
            return None  # a path into an entry that is no submenu
    return found


# -- GRUB 2 ------------------------------------------------------------------------------------


def _bls_entries(system: LinuxSystem, variables: dict[str, str]) -> list[BootEntry]:
    names = [name for name in system.boot_names(BLS_DIRECTORY) if name.endswith(".conf")]
    parsed: list[bls.BlsEntry] = []
    for name in sorted(names)[: bls.MAX_ENTRIES]:
        data = system.read_boot(f"{BLS_DIRECTORY}/{name}", limit=bls.LIMIT)
        if data is None:
            continue
        parsed.append(bls.parse_entry(name.removesuffix(".conf"), data.decode("utf-8", "replace")))
    entries: list[BootEntry] = []
    for entry in bls.sort_entries(parsed):
        expanded = (grubcfg.expand(word, variables) for word in (entry.options or "").split())
        options = " ".join(word for word in expanded if word)
        initrd = (grubcfg.expand(word, variables) for word in entry.initrd)
        entries.append(
            BootEntry(
                entry.title or entry.id,
                entry.id,
                entry.linux,
                tuple(word for word in initrd if word),
                options,
                from_bls=True,
            )
        )
    return entries


def _grub2_items(
    system: LinuxSystem, menu: grubcfg.Menu, items: list[grubcfg.MenuItem]
) -> list[BootEntry]:
    out: list[BootEntry] = []
    for item in items:
        if isinstance(item, grubcfg.BlsMarker):
            out.extend(_bls_entries(system, menu.variables))
            continue
        if item.children is not None:
            out.append(
                BootEntry(
                    item.title, item.id, None, (), "", _grub2_items(system, menu, item.children)
                )
            )
            continue
        linux = menu.expand(item.linux) if item.linux is not None else []
        out.append(
            BootEntry(
                item.title,
                item.id,
                linux[0] if linux else None,
                tuple(menu.expand(item.initrd)),
                " ".join(linux[1:]),
            )
        )
    return out


def _count(items: list[BootEntry]) -> int:
    return sum(_count(item.children) if item.children is not None else 1 for item in items)


def _grub2(system: LinuxSystem, relative: str, text: str) -> BootChoice | None:
    """The choice a grub.cfg makes; None for a stub that builds no menu."""
    directory = posixpath.dirname(relative)
    env_path = f"{directory}/grubenv"
    env_data = system.read_boot(env_path, limit=64 * 1024)
    choice = BootChoice(BootLoader.GRUB2, system.boot_display(relative))
    env_unreadable = env_data is None and "grubenv" in system.boot_names(directory)
    if env_unreadable:
        choice.findings.append(
            f"{system.boot_display(env_path)} could not be read (a link out of the image's "
            "file systems, such as into the EFI system partition)"
        )
    grubenv = grubcfg.parse_grubenv(env_data) if env_data is not None else {}
    try:
        menu = grubcfg.read_menu(text, grubenv, has_grubenv=env_data is not None)
    except grubcfg.GrubSyntaxError as error:
        choice.undetermined = f"{choice.config} cannot be read: {error}"
        return choice
    if not menu.items and menu.hands_over:
        return None
    bls_mode = menu.uses_bls
    if bls_mode:
        choice.loader = BootLoader.GRUB2_BLS
    items = _grub2_items(system, menu, menu.items)
    default = menu.variables.get("default")
    if env_unreadable and not default:
        # the default is grubenv's, which could not be read: what GRUB boots is not known,
        # and it is not ImportImage's failure either (it reads the file where it is)
        choice.findings.append("the default entry is grubenv's: not judged")
        return choice
    entry = resolve_default(items, default)
    if bls_mode and not default:
        entry = None  # GRUB would boot the first entry; ImportImage cannot tell (below)
    if bls_mode:
        bls_count = sum(1 for item in items if item.from_bls)
        if entry is None and bls_count == 1 and _count(items) == 1:
            entry = items[0]
        if entry is None:
            said = (
                "no default entry is set (grubenv has no saved_entry)"
                if not default
                else f"the default {default!r} names no entry"
            )
            choice.undetermined = (
                f"GRUB reads BLS entries ({bls_count} in /boot/{BLS_DIRECTORY}) and {said}"
            )
            if bls_count == 0:
                choice.undetermined = f"GRUB reads BLS entries and /boot/{BLS_DIRECTORY} has none"
            if items and items[0].children is None:
                choice.fallback_entry = items[0]
            return choice
    elif entry is None:
        first = items[0] if items and items[0].children is None else None
        selected = _walk(items, default)
        if selected is not None and selected.children is not None:
            choice.undetermined = (
                f"the default {default!r} selects the submenu {selected.title!r}, not an entry"
            )
            return choice
        if first is None:
            choice.undetermined = (
                f"{choice.config} has no menu entry"
                if not items
                else f"the default {default!r} selects a submenu or nothing"
            )
            return choice
        if default:
            choice.findings.append(
                f"GRUB's default {default!r} names no entry: GRUB boots the first, {first.title!r}"
            )
        entry = first
    choice.entry = entry
    return choice


# -- GRUB legacy ------------------------------------------------------------------------------


def _legacy(system: LinuxSystem, relative: str, text: str) -> BootChoice:
    choice = BootChoice(BootLoader.GRUB_LEGACY, system.boot_display(relative))
    menu = menulst.parse_menu_lst(text)
    saved_data = system.read_boot("grub/default", limit=4096)
    saved = menulst.saved_default(saved_data.decode("ascii", "replace")) if saved_data else None
    found = menu.default_entry(saved)
    if found is None:
        choice.undetermined = f"{choice.config} has no entry"
        return choice
    choice.entry = BootEntry(found.title, None, found.kernel, tuple(found.initrd), found.arguments)
    return choice


# -- the choice --------------------------------------------------------------------------------


def _kernel_of(system: LinuxSystem, entry: BootEntry) -> str | None:
    if entry.kernel is None:
        return None
    version = kernel_version(entry.kernel)
    if version is not None:
        return version
    name = system.entry_target_name(entry.kernel)
    return kernel_version(name) if name else None


def read_boot_choice(system: LinuxSystem, kernels: list[str], *, esp: bool = False) -> BootChoice:
    """The boot loader and the default entry and kernel (see the module's docstring).

    ``esp``: fstab mounts an EFI system partition on /boot/efi, where RHEL 8 keeps grub.cfg
    and grubenv on UEFI systems; that FAT volume is not read, so when /boot holds no
    configuration the default is not judged (rather than called undetermined)."""
    configs: list[tuple[str, str]] = []
    for relative in (*GRUB2_CONFIGS, *LEGACY_CONFIGS):
        data = system.read_boot(relative, limit=CONFIG_LIMIT)
        if data is not None:
            configs.append((relative, data.decode("utf-8", "replace")))
    choice: BootChoice | None = None
    chosen_text = ""
    findings: list[str] = []
    for relative, text in configs:
        if relative in GRUB2_CONFIGS:
            found = _grub2(system, relative, text)
        else:
            found = _legacy(system, relative, text)
        if found is None:
            continue
        if choice is None:
            choice, chosen_text = found, text
        elif text != chosen_text:
            findings.append(
                f"several boot configurations differ ({choice.config} and "
                f"{system.boot_display(relative)}): ImportImage refuses such a disk "
                '("Multiple different grub/menu.lst files found")'
            )
    if choice is None:
        choice = BootChoice(None, None)
        if len(kernels) == 1:
            choice.kernel = kernels[0]
            findings.append(
                f"no GRUB configuration in /boot: the one kernel installed, {kernels[0]}"
            )
        elif esp:
            findings.append(
                "no GRUB configuration in /boot: it may be on the EFI system partition "
                "(/boot/efi), which is not read; the default kernel is not judged"
            )
        else:
            choice.undetermined = "no GRUB configuration in /boot" + (
                f" and {len(kernels)} kernels" if kernels else " and no kernel"
            )
    choice.findings.extend(findings)
    if choice.fallback_entry is not None:
        choice.fallback_kernel = _kernel_of(system, choice.fallback_entry)
    if choice.entry is not None:
        choice.kernel = _kernel_of(system, choice.entry)
        if choice.kernel is None:
            choice.undetermined = (
                f"the default entry {choice.entry.title!r} names no kernel file the image holds"
            )
    return choice
