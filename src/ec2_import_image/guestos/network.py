"""How a Linux system configures its network: addresses from DHCP, or static ones.

A VPC gives an instance its private address by DHCP; a static address from the VM's old
network does not hold there (ImportImage rewrites "network scripts to replace static IPs
with dynamic IPs" on the systems it supports: its "programmatic modifications" page).
Each configuration system a distribution uses is read, each file bounded:

- ifcfg files (RHEL's ``/etc/sysconfig/network-scripts/ifcfg-*``, SUSE's
  ``/etc/sysconfig/network/ifcfg-*``; shell assignments): ``BOOTPROTO`` ``dhcp``,
  ``dhcp4``, ``dhcp6``, ``bootp`` is DHCP; ``static``, or ``none`` with an ``IPADDR``, is
  static (RHEL's initscripts documentation, SUSE's ifcfg(5));
- Debian's ``/etc/network/interfaces`` (interfaces(5)), with the files its ``source`` and
  ``source-directory`` lines include: ``iface NAME inet dhcp`` / ``inet static``
  (``inet6 auto`` and ``dhcp`` count as DHCP);
- netplan (``/etc/netplan/*.yaml``, ``/lib/netplan/*.yaml``; netplan's YAML reference):
  under ``network``, each of ``ethernets``, ``bonds``, ``bridges``, ``vlans``, ``wifis``:
  ``addresses`` is static, ``dhcp4``/``dhcp6`` true is DHCP.  Read with the project's safe
  YAML loader (``yamlload``); netplan reads YAML 1.1, so ``yes``/``on`` are true too;
- NetworkManager's keyfiles (``/etc/NetworkManager/system-connections/*``;
  nm-settings-keyfile(5)): ``[ipv4]``/``[ipv6]`` ``method=manual`` is static, ``auto``
  (and ``dhcp`` for IPv6) DHCP;
- systemd-networkd (``/etc/systemd/network/*.network``; systemd.network(5)): ``Address=``
  in ``[Network]`` or an ``[Address]`` section is static, ``DHCP=`` yes/true/ipv4/ipv6/both
  is DHCP.

The loopback interface is left out.  The system's kind: ``static`` when any interface has
static addresses, else ``dhcp`` when any uses DHCP, else ``unknown`` (nothing configured,
or left to cloud-init at first boot).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from ec2_import_image.fsread.tree import LinkLoop, NotADirectory, NotFound, TooLarge, Tree
from ec2_import_image.guestos.osreport import NetworkConfig, NetworkKind
from ec2_import_image.guestos.release import parse_os_release

LIMIT = 1024 * 1024
MAX_FILES = 256
#: values a YAML 1.1 reader (netplan's) takes as true
_TRUE = frozenset({"true", "yes", "on", "y", "1"})
_MISSING = (NotFound, NotADirectory, LinkLoop, TooLarge)
IFCFG_DIRECTORIES = ("/etc/sysconfig/network-scripts", "/etc/sysconfig/network")
NETPLAN_DIRECTORIES = ("/etc/netplan", "/lib/netplan")
NM_DIRECTORY = "/etc/NetworkManager/system-connections"
NETWORKD_DIRECTORY = "/etc/systemd/network"
INTERFACES = "/etc/network/interfaces"


def _text(tree: Tree, path: str) -> str | None:
    try:
        return tree.read_text(path, limit=LIMIT)
    except _MISSING:
        return None


def _names(tree: Tree, directory: str) -> list[str]:
    try:
        return tree.names(directory)[:MAX_FILES]
    except (NotFound, NotADirectory, LinkLoop):
        return []


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


# -- ifcfg ---------------------------------------------------------------------------------


def _ifcfg(tree: Tree) -> Iterator[NetworkConfig]:
    for directory in IFCFG_DIRECTORIES:
        for name in _names(tree, directory):
            if not name.startswith("ifcfg-") or name == "ifcfg-lo" or name.endswith((".bak", "~")):
                continue
            path = f"{directory}/{name}"
            text = _text(tree, path)
            if text is None:
                continue
            values = parse_os_release(text)
            interface = values.get("DEVICE") or name.removeprefix("ifcfg-")
            if interface == "lo":
                continue
            protocol = values.get("BOOTPROTO", "").strip().lower()
            has_address = any(key.startswith("IPADDR") and value for key, value in values.items())
            if protocol.startswith("dhcp") or protocol == "bootp":
                yield NetworkConfig(path, interface, NetworkKind.DHCP)
            elif protocol == "static" or (protocol in ("none", "") and has_address):
                yield NetworkConfig(path, interface, NetworkKind.STATIC)


# -- /etc/network/interfaces ------------------------------------------------------------------


def _interfaces_files(tree: Tree) -> Iterator[str]:
    """interfaces and the files its source lines include (in order, each once)."""
    pending = [INTERFACES]
    seen: set[str] = set()
    while pending and len(seen) < MAX_FILES:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = _text(tree, path)
        if text is None:
            continue
        yield path
        for line in text.splitlines():
            words = line.split()
            if len(words) < 2 or words[0] not in ("source", "source-directory"):
                continue
            target = words[1]
            if not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(path), target)
            if words[0] == "source-directory":
                pending.extend(f"{target}/{name}" for name in _names(tree, target))
            elif target.endswith("/*"):
                base = target[:-2]
                pending.extend(f"{base}/{name}" for name in _names(tree, base))
            elif "*" in target:
                base, pattern = posixpath.split(target)
                prefix, _, suffix = pattern.partition("*")
                pending.extend(
                    f"{base}/{name}"
                    for name in _names(tree, base)
                    if name.startswith(prefix) and name.endswith(suffix)
                )
            else:
                pending.append(target)


def _debian(tree: Tree) -> Iterator[NetworkConfig]:
    for path in _interfaces_files(tree):
        text = _text(tree, path) or ""
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) < 4 or words[0] != "iface" or words[1] == "lo":
                continue
            method = words[3]
            if method == "static":
                yield NetworkConfig(path, words[1], NetworkKind.STATIC)
            elif method in ("dhcp", "auto"):
                yield NetworkConfig(path, words[1], NetworkKind.DHCP)


# -- netplan -------------------------------------------------------------------------------


def _netplan(tree: Tree) -> Iterator[NetworkConfig]:
    from ec2_import_image.yamlload import YamlError, safe_load

    for directory in NETPLAN_DIRECTORIES:
        for name in _names(tree, directory):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = f"{directory}/{name}"
            text = _text(tree, path)
            if text is None:
                continue
            try:
                document = safe_load(text, 100_000)
            except (YamlError, ValueError):
                continue
            network = document.get("network") if isinstance(document, dict) else None
            if not isinstance(network, dict):
                continue
            for group in ("ethernets", "bonds", "bridges", "vlans", "wifis"):
                interfaces = network.get(group)
                if not isinstance(interfaces, dict):
                    continue
                for interface, settings in interfaces.items():
                    if not isinstance(settings, dict) or str(interface) == "lo":
                        continue
                    if settings.get("addresses"):
                        yield NetworkConfig(path, str(interface), NetworkKind.STATIC)
                    elif _truthy(settings.get("dhcp4", False)) or _truthy(
                        settings.get("dhcp6", False)
                    ):
                        yield NetworkConfig(path, str(interface), NetworkKind.DHCP)


# -- INI-style files: NetworkManager keyfiles, systemd-networkd ----------------------------------


def parse_ini(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections of ``key=value`` lines (``#``/``;`` comments); a section may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
            continue
        key, sep, value = line.partition("=")
        if sep and current is not None:
            current.append((key.strip(), value.strip()))
    return sections


def _network_manager(tree: Tree) -> Iterator[NetworkConfig]:
    for name in _names(tree, NM_DIRECTORY):
        path = f"{NM_DIRECTORY}/{name}"
        text = _text(tree, path)
        if text is None:
            continue
        sections = parse_ini(text)
        connection = dict(sections.get("connection", []))
        if connection.get("type") in ("loopback",):
            continue
        interface = connection.get("interface-name") or connection.get("id") or name
        # NetworkManager's default for an IPv4 method not written is "auto"
        ipv4 = dict(sections.get("ipv4", [])).get("method", "auto")
        ipv6 = dict(sections.get("ipv6", [])).get("method", "")
        if "manual" in (ipv4, ipv6):
            yield NetworkConfig(path, interface, NetworkKind.STATIC)
        elif ipv4 == "auto" or ipv6 in ("auto", "dhcp"):
            yield NetworkConfig(path, interface, NetworkKind.DHCP)


def _networkd(tree: Tree) -> Iterator[NetworkConfig]:
    for name in _names(tree, NETWORKD_DIRECTORY):
        if not name.endswith(".network"):
            continue
        path = f"{NETWORKD_DIRECTORY}/{name}"
        text = _text(tree, path)
        if text is None:
            continue
        sections = parse_ini(text)
        match = dict(sections.get("Match", []))
        interface = match.get("Name", name.removesuffix(".network"))
        if interface == "lo":
            continue
        network = sections.get("Network", [])
        addresses = [value for key, value in network if key == "Address" and value]
        addresses += [value for key, value in sections.get("Address", []) if key == "Address"]
        dhcp = [value for key, value in network if key == "DHCP"]
        if addresses:
            yield NetworkConfig(path, interface, NetworkKind.STATIC)
        elif dhcp and dhcp[-1].lower() in ("yes", "true", "ipv4", "ipv6", "both", "on", "1"):
            yield NetworkConfig(path, interface, NetworkKind.DHCP)


def read_network(tree: Tree) -> tuple[NetworkKind, tuple[NetworkConfig, ...]]:
    """The system's kind of network configuration and each interface's (see above)."""
    configs: list[NetworkConfig] = []
    for reader in (_ifcfg, _debian, _netplan, _network_manager, _networkd):
        configs.extend(reader(tree))
    kinds = {config.kind for config in configs}
    if NetworkKind.STATIC in kinds:
        kind = NetworkKind.STATIC
    elif NetworkKind.DHCP in kinds:
        kind = NetworkKind.DHCP
    else:
        kind = NetworkKind.UNKNOWN
    return kind, tuple(configs)
