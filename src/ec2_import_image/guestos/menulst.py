"""GRUB legacy's menu.lst (grub.conf on RHEL 5 and 6): its entries and the default one.

Written from the GRUB Legacy manual ("Configuration", "Menu-specific commands"): one
command per line, ``#`` comments; ``default N`` (0-based, ``saved`` for the entry the
``savedefault`` command stored in the ``default`` file beside menu.lst), ``title NAME``
starting an entry, and in an entry ``kernel FILE ARGS`` and ``initrd FILE``, their paths
relative to the ``root`` device (the /boot partition when /boot is separate).  Commands
and their arguments may be separated by blanks or ``=``.  A default past the last entry
boots the first, as GRUB Legacy does.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LegacyEntry:
    title: str
    kernel: str | None = None
    arguments: str = ""
    initrd: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LegacyMenu:
    entries: tuple[LegacyEntry, ...]
    #: the ``default`` command as written (None: absent, entry 0)
    default: str | None

    def default_entry(self, saved: str | None = None) -> LegacyEntry | None:
        """The entry booted: ``default N``, ``default saved`` (with the ``default`` file's
        number in ``saved``), else the first; None without entries."""
        if not self.entries:
            return None
        value = self.default
        if value == "saved":
            value = saved
        number = int(value) if value is not None and value.isdigit() else 0
        return self.entries[number] if number < len(self.entries) else self.entries[0]


def _command(line: str) -> tuple[str, str]:
    line = line.strip()
    for index, char in enumerate(line):
        if char in " \t=":
            return line[:index], line[index + 1 :].strip().lstrip("=").strip()
    return line, ""


def parse_menu_lst(text: str) -> LegacyMenu:
    entries: list[LegacyEntry] = []
    default: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, rest = _command(line)
        if name == "title":
            entries.append(LegacyEntry(rest))
        elif not entries:
            if name == "default":
                default = rest.split()[0] if rest.split() else None
        elif name == "kernel":
            path, _, arguments = rest.partition(" ")
            entries[-1].kernel = path
            entries[-1].arguments = arguments.strip()
        elif name == "initrd":
            entries[-1].initrd.extend(rest.split())
    return LegacyMenu(tuple(entries), default)


def saved_default(text: str) -> str | None:
    """The entry number of GRUB Legacy's ``default`` file (its first number)."""
    for word in text.split():
        if word.isdigit():
            return word
    return None
