"""The distribution and version: os-release read as a shell reads it, and the older files.

os-release(5) is shell-compatible: a POSIX shell sourcing the file is the reference.  The
property test writes values quoted each way the specification allows (double quotes with
``$ " \\ ``` escaped, single quotes, bare words) and compares with what ``sh`` makes of the
same file.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2_import_image.fsread.tree import Tree
from ec2_import_image.guestos.release import parse_os_release, read_release
from tests.fsread.test_tree import DictVolume

_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 .-_/:;,()#=$\"'\\`!*?~{}[]é")), max_size=24
)


def _double(value: str) -> str:
    escaped = "".join("\\" + char if char in '$"\\`' else char for char in value)
    return f'"{escaped}"'


def _single(value: str) -> str:
    return f"'{value}'"


@st.composite
def assignments(draw: st.DrawFn) -> tuple[str, str]:
    value = draw(_TEXT)
    style = draw(st.sampled_from(["double", "single", "bare"]))
    if style == "single" and "'" not in value:
        return value, _single(value)
    if style == "bare":
        bare = "".join(char for char in value if char.isalnum() or char in ".-_")
        return bare, bare
    return value, _double(value)


def _sourced(path: Path, key: str) -> str:
    result = subprocess.run(
        ["/bin/sh", "-c", f'. "$1"; printf %s "${key}"', "sh", str(path)],
        capture_output=True,
        check=True,
        env={},
    )
    return result.stdout.decode()


@settings(max_examples=60, deadline=None)
@given(st.lists(assignments(), min_size=1, max_size=4))
def test_values_are_what_sh_makes_of_them(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[str, str]]
) -> None:
    path = tmp_path_factory.mktemp("osr") / "os-release"
    lines = ["# a comment", ""]
    lines += [f"KEY{index}={quoted}" for index, (_, quoted) in enumerate(pairs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = parse_os_release(path.read_text(encoding="utf-8"))
    for index, (value, _) in enumerate(pairs):
        assert parsed[f"KEY{index}"] == _sourced(path, f"KEY{index}") == value


def test_the_specifications_example() -> None:
    text = (
        'NAME="Fedora Linux"\nVERSION="32 (Workstation Edition)"\nID=fedora\nVERSION_ID=32\n'
        'PRETTY_NAME="Fedora 32 (Workstation Edition)"\nANSI_COLOR="0;38;2;60;110;180"\n'
        "CPE_NAME='cpe:/o:fedoraproject:fedora:32'\nnot a line\n=empty\n"
    )
    parsed = parse_os_release(text)
    assert parsed["ID"] == "fedora" and parsed["VERSION_ID"] == "32"
    assert parsed["PRETTY_NAME"] == "Fedora 32 (Workstation Edition)"
    assert parsed["CPE_NAME"] == "cpe:/o:fedoraproject:fedora:32"
    assert "not a line" not in parsed and "" not in parsed


def tree(files: Mapping[str, object]) -> Tree:
    root: dict[str, object] = {}
    for path, content in files.items():
        node = root
        *dirs, name = path.strip("/").split("/")
        for part in dirs:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[name] = content
    return Tree(DictVolume(root))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # os-release through its link, and Debian's point release beside it
        (
            {
                "etc/os-release": ("link", "../usr/lib/os-release"),
                "usr/lib/os-release": b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian 12"\n',
                "etc/debian_version": b"12.4\n",
            },
            ("debian", "12", "12.4", "Debian 12", "/etc/os-release"),
        ),
        # only /usr/lib/os-release
        (
            {"usr/lib/os-release": b"ID=Arch\nPRETTY_NAME='Arch Linux'\n", "etc/x": b""},
            ("arch", None, None, "Arch Linux", "/usr/lib/os-release"),
        ),
        # Ubuntu writes a codename in debian_version: no point release
        (
            {
                "etc/os-release": b'ID=ubuntu\nVERSION_ID="22.04"\n',
                "etc/debian_version": b"bookworm/sid\n",
            },
            ("ubuntu", "22.04", None, None, "/etc/os-release"),
        ),
        (
            {"etc/redhat-release": b"CentOS release 5.11 (Final)\n"},
            ("centos", "5.11", None, "CentOS release 5.11 (Final)", "/etc/redhat-release"),
        ),
        (
            {"etc/redhat-release": b"Red Hat Enterprise Linux Server release 6.10 (Santiago)\n"},
            ("rhel", "6.10", None, None, "/etc/redhat-release"),
        ),
        (
            {"etc/oracle-release": b"Oracle Linux Server release 6.10\n"},
            ("ol", "6.10", None, None, "/etc/oracle-release"),
        ),
        (
            {
                "etc/SuSE-release": (
                    b"SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n"
                )
            },
            ("sles", "11", "11.4", "SUSE Linux Enterprise Server 11", "/etc/SuSE-release"),
        ),
        (
            {
                "etc/lsb-release": (
                    b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=12.04\n"
                    b'DISTRIB_DESCRIPTION="Ubuntu 12.04 LTS"\n'
                )
            },
            ("ubuntu", "12.04", None, "Ubuntu 12.04 LTS", "/etc/lsb-release"),
        ),
        (
            {"etc/debian_version": b"6.0.8\n"},
            ("debian", "6", "6.0.8", "Debian GNU/Linux 6.0.8", "/etc/debian_version"),
        ),
    ],
)
def test_release_files(
    files: dict[str, object], expected: tuple[str, str | None, str | None, str | None, str]
) -> None:
    found = read_release(tree(files))
    assert found is not None
    distribution, version, detail, pretty, source = expected
    assert (found.id, found.version, found.version_detail, found.source) == (
        distribution,
        version,
        detail,
        source,
    )
    if pretty is not None:
        assert found.pretty_name == pretty


def test_no_release_file() -> None:
    assert read_release(tree({"etc/fstab": b"", "etc/debian_version": b"trixie/sid\n"})) is None
