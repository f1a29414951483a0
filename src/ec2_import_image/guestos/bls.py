"""Boot Loader Specification entries, in the order GRUB's ``blscfg`` puts them in the menu.

An entry is a file ``/loader/entries/*.conf`` of the partition holding the kernels (the
/boot partition, or /boot of the root): lines ``key value`` (the key, blanks, the rest of
the line), ``#`` comments; keys read: ``title``, ``version``, ``linux``, ``initrd`` (one or
more), ``options`` (may hold ``$kernelopts``, taken from grubenv, as RHEL 8 writes it),
``machine-id``, ``sort-key``.  The entry's id is its file name without ``.conf``: what
grubenv's ``saved_entry`` names.  (The Boot Loader Specification, "Type #1 Boot Loader
Entry Keys", https://uapi-group.org/specifications/specs/boot_loader_specification/.)

Order: Fedora's and RHEL's GRUB (``blscfg.c`` of their grub2 package, the ``blscfg``
command upstream GRUB documents since 2.14) does not read ``sort-key``: it splits each
file name (``.conf`` removed) as an RPM package name: the part after the last ``-`` is the
release, after the one before it the version, the rest the name, and orders the entries
by (name, version, release) compared with rpm's version comparison, newest first.  The
comparison (rpm's ``rpmvercmp``): both strings are cut into runs of digits and runs of
letters, anything else separating them; ``~`` sorts before everything (even the end of
the string), ``^`` after the end of the string but before anything else; runs compare
numerically (leading zeros dropped) or as bytes; a run of digits is newer than a run of
letters; when one string runs out first, the longer one is newer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: an entry file is a few hundred bytes
LIMIT = 64 * 1024
#: entries read from one directory
MAX_ENTRIES = 512


@dataclass(frozen=True)
class BlsEntry:
    id: str
    title: str | None
    version: str | None
    linux: str | None
    initrd: tuple[str, ...]
    options: str | None


def parse_entry(entry_id: str, text: str) -> BlsEntry:
    values: dict[str, str] = {}
    initrd: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if "\t" in key:
            key, _, rest = key.partition("\t")
            value = f"{rest} {value}".strip()
        value = value.strip()
        if key == "initrd":
            initrd.extend(value.split())
        elif key == "options" and "options" in values:
            values["options"] = f"{values['options']} {value}"  # options may repeat
        else:
            values.setdefault(key, value)
    return BlsEntry(
        entry_id,
        values.get("title"),
        values.get("version"),
        values.get("linux"),
        tuple(initrd),
        values.get("options"),
    )


def rpmvercmp(a: str, b: str) -> int:
    """rpm's version comparison (see the module's docstring): -1, 0 or 1."""
    if a == b:
        return 0
    one, two = a, b
    i = j = 0
    while i < len(one) or j < len(two):
        while i < len(one) and not one[i].isalnum() and one[i] not in "~^":
            i += 1
        while j < len(two) and not two[j].isalnum() and two[j] not in "~^":
            j += 1
        # the tilde: sorts before everything
        tilde_one = i < len(one) and one[i] == "~"
        tilde_two = j < len(two) and two[j] == "~"
        if tilde_one or tilde_two:
            if not tilde_one:
                return 1
            if not tilde_two:
                return -1
            i += 1
            j += 1
            continue
        # the caret: sorts after the end of a string but before anything else
        caret_one = i < len(one) and one[i] == "^"
        caret_two = j < len(two) and two[j] == "^"
        if caret_one or caret_two:
            if i >= len(one):
                return -1
            if j >= len(two):
                return 1
            if not caret_one:
                return 1
            if not caret_two:
                return -1
            i += 1
            j += 1
            continue
        if i >= len(one) or j >= len(two):
            break
        numeric = one[i].isdigit()
        start_one, start_two = i, j
        if numeric:
            while i < len(one) and one[i].isdigit():
                i += 1
            while j < len(two) and two[j].isdigit():
                j += 1
        else:
            while i < len(one) and one[i].isalpha():
                i += 1
            while j < len(two) and two[j].isalpha():
                j += 1
        run_one, run_two = one[start_one:i], two[start_two:j]
        if not run_two:
            # different kinds of run: a number is newer than letters
            return 1 if numeric else -1
        if numeric:
            run_one, run_two = run_one.lstrip("0"), run_two.lstrip("0")
            if len(run_one) != len(run_two):
                return 1 if len(run_one) > len(run_two) else -1
        if run_one != run_two:
            return 1 if run_one > run_two else -1
    rest_one, rest_two = i < len(one), j < len(two)
    if not rest_one and not rest_two:
        return 0
    return 1 if rest_one else -1


def split_package(name: str) -> tuple[str, str | None, str | None]:
    """A file name as GRUB's blscfg splits it: (name, version, release), from the right."""
    head, sep, release = name.rpartition("-")
    if not sep:
        return name, None, None
    base, sep, version = head.rpartition("-")
    if not sep:
        return head, release, None
    return base, version, release


def _compare_parts(a: str | None, b: str | None) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return -1
    if b is None:
        return 1
    return rpmvercmp(a, b)


def compare_ids(a: str, b: str) -> int:
    """blscfg's comparison of two entries by their ids (file names without ``.conf``)."""
    for left, right in zip(split_package(a), split_package(b), strict=True):
        result = _compare_parts(left, right)
        if result:
            return result
    return 0


def sort_entries(entries: list[BlsEntry]) -> list[BlsEntry]:
    """The entries in the menu's order: newest first by ``compare_ids``."""

    def compare(x: BlsEntry, y: BlsEntry) -> int:
        return compare_ids(x.id, y.id)

    return sorted(entries, key=functools.cmp_to_key(compare), reverse=True)
