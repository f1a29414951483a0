"""Which distribution and version a Linux root holds: os-release, else the older release files.

os-release follows its manual page, os-release(5) (freedesktop.org, systemd): the file is
``/etc/os-release``, usually a relative symbolic link to ``../usr/lib/os-release``, and
``/usr/lib/os-release`` when the first is missing.  Each line is a comment (``#``), blank,
or ``KEY=value`` with a key of ``[A-Za-z_][A-Za-z0-9_]*``; a value holding anything but
letters and digits is quoted with double or single quotes, shell style: inside double
quotes a backslash escapes ``$``, ``"``, ``\\`` and a backquote (and is kept before other
characters, as the shell keeps it); inside single quotes nothing is escaped; outside
quotes a backslash escapes the next character.  Keys read: ``ID`` (lower case by the
specification; compared as such), ``ID_LIKE``, ``VERSION_ID``, ``PRETTY_NAME``, ``NAME``.

Before os-release (RHEL 6 and older, SLES 11, Ubuntu 12.04 ...), in this order:

- ``/etc/redhat-release`` (and ``/etc/oracle-release``, ``/etc/centos-release``): one line,
  "CentOS release 5.11 (Final)", "Red Hat Enterprise Linux Server release 6.10
  (Santiago)", "Fedora release 20 (Heisenbug)"; the ID is named from the words before
  ``release``, the version is the number after it;
- ``/etc/SuSE-release``: "SUSE Linux Enterprise Server 11 (x86_64)" then ``VERSION = 11``
  and ``PATCHLEVEL = 4`` lines;
- ``/etc/debian_version``: "12.4" (Debian's point release, which os-release's VERSION_ID
  "12" does not give; read beside os-release too) or a codename ("bookworm/sid", which
  Ubuntu writes there: no version);
- ``/etc/lsb-release``: ``DISTRIB_ID``, ``DISTRIB_RELEASE``, ``DISTRIB_DESCRIPTION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ec2_import_image.fsread.tree import NotADirectory, NotFound, TooLarge, Tree

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
REDHAT_RELEASES = ("/etc/oracle-release", "/etc/centos-release", "/etc/redhat-release")
SUSE_RELEASE = "/etc/SuSE-release"
DEBIAN_VERSION = "/etc/debian_version"
LSB_RELEASE = "/etc/lsb-release"
#: every file whose presence says "a Linux root" (with /etc/fstab)
RELEASE_FILES = (*OS_RELEASE, *REDHAT_RELEASES, SUSE_RELEASE, DEBIAN_VERSION, LSB_RELEASE)
#: a release file is a few hundred bytes; more is not one
LIMIT = 64 * 1024

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPED_IN_DOUBLE = frozenset('$"\\`')
_RELEASE_WORDS = re.compile(r"^(?P<name>.*?)\s+release\s+(?P<version>\d+(?:\.\d+)*)", re.I)
_DEBIAN_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
#: the distribution names of the redhat-release family, to os-release's IDs
_REDHAT_IDS = (
    ("red hat enterprise linux", "rhel"),
    ("centos stream", "centos"),
    ("centos", "centos"),
    ("fedora", "fedora"),
    ("oracle linux", "ol"),
    ("enterprise linux", "ol"),
    ("scientific linux", "scientific"),
    ("rocky linux", "rocky"),
    ("almalinux", "almalinux"),
    ("amazon linux", "amzn"),
)


@dataclass(frozen=True)
class Release:
    id: str
    version: str | None
    pretty_name: str | None
    #: the file it came from
    source: str
    id_like: tuple[str, ...] = ()
    #: a finer version than ``version`` (Debian's point release)
    version_detail: str | None = None


def _value(raw: str) -> str:
    """A shell-quoted value as os-release(5) allows it (see the module's docstring)."""
    out: list[str] = []
    index, size = 0, len(raw)
    while index < size:
        char = raw[index]
        if char == '"':
            index += 1
            while index < size and raw[index] != '"':
                if raw[index] == "\\" and index + 1 < size:
                    following = raw[index + 1]
                    if following in _ESCAPED_IN_DOUBLE:
                        out.append(following)
                        index += 2
                        continue
                out.append(raw[index])
                index += 1
            index += 1  # the closing quote (a missing one ends the value)
        elif char == "'":
            end = raw.find("'", index + 1)
            end = size if end < 0 else end
            out.append(raw[index + 1 : end])
            index = end + 1
        elif char == "\\" and index + 1 < size:
            out.append(raw[index + 1])
            index += 2
        elif char.isspace() or char == "#":
            break  # unquoted whitespace ends the value; what follows is a comment
        else:
            out.append(char)
            index += 1
    return "".join(out)


def parse_os_release(text: str) -> dict[str, str]:
    """The assignments of an os-release file (later ones win, as the shell would have it)."""
    found: dict[str, str] = {}
    for text_line in text.splitlines():
        line = text_line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, raw = line.partition("=")
        if not sep or not _KEY.fullmatch(key):
            continue
        found[key] = _value(raw)
    return found


def _read(tree: Tree, path: str) -> str | None:
    try:
        return tree.read_text(path, limit=LIMIT)
    except (NotFound, NotADirectory, TooLarge):
        return None


def _debian_point(tree: Tree) -> str | None:
    text = _read(tree, DEBIAN_VERSION)
    if text is None:
        return None
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if _DEBIAN_NUMBER.fullmatch(first) else None


def _from_os_release(tree: Tree) -> Release | None:
    for path in OS_RELEASE:
        text = _read(tree, path)
        if text is None:
            continue
        values = parse_os_release(text)
        distribution = values.get("ID", "linux").strip().lower() or "linux"
        version = values.get("VERSION_ID") or None
        detail = _debian_point(tree) if distribution == "debian" else None
        return Release(
            id=distribution,
            version=version,
            pretty_name=values.get("PRETTY_NAME") or values.get("NAME") or None,
            source=path,
            id_like=tuple(values.get("ID_LIKE", "").lower().split()),
            version_detail=detail if detail != version else None,
        )
    return None


def _redhat_id(name: str) -> str:
    lowered = name.lower()
    for words, distribution in _REDHAT_IDS:
        if words in lowered:
            return distribution
    return lowered.split()[0] if lowered.split() else "linux"


def _from_redhat(tree: Tree) -> Release | None:
    for path in REDHAT_RELEASES:
        text = _read(tree, path)
        if not text or not text.strip():
            continue
        line = text.strip().splitlines()[0].strip()
        match = _RELEASE_WORDS.match(line)
        if match is None:
            return Release(_redhat_id(line), None, line, path)
        return Release(_redhat_id(match["name"]), match["version"], line, path)
    return None


def _from_suse(tree: Tree) -> Release | None:
    text = _read(tree, SUSE_RELEASE)
    if not text or not text.strip():
        return None
    lines = text.strip().splitlines()
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip().upper()] = value.strip()
    title = lines[0].strip()
    lowered = title.lower()
    distribution = (
        "opensuse" if "opensuse" in lowered else "sles" if "server" in lowered else "sled"
    )
    version = fields.get("VERSION")
    patch = fields.get("PATCHLEVEL")
    detail = f"{version}.{patch}" if version and patch and patch != "0" else None
    return Release(
        distribution, version, re.sub(r"\s*\(.*\)$", "", title), SUSE_RELEASE, (), detail
    )


def _from_debian(tree: Tree) -> Release | None:
    point = _debian_point(tree)
    if point is None:
        return None
    return Release(
        "debian", point.split(".")[0], f"Debian GNU/Linux {point}", DEBIAN_VERSION, (), point
    )


def _from_lsb(tree: Tree) -> Release | None:
    text = _read(tree, LSB_RELEASE)
    if text is None:
        return None
    values = parse_os_release(text)
    distribution = values.get("DISTRIB_ID", "").strip().lower()
    if not distribution:
        return None
    return Release(
        distribution,
        values.get("DISTRIB_RELEASE") or None,
        values.get("DISTRIB_DESCRIPTION") or None,
        LSB_RELEASE,
    )


def read_release(tree: Tree) -> Release | None:
    """The distribution of a Linux root: os-release, else the older files in the order of
    the module's docstring; None when none of them is there."""
    for reader in (_from_os_release, _from_redhat, _from_suse, _from_lsb, _from_debian):
        found = reader(tree)
        if found is not None:
            return found
    return None
