"""Boot loaders: grub.cfg run far enough to know its default, grubenv, BLS order, menu.lst.

The grub.cfg texts are the fixture recipe's (scripts/os_fixtures.py: as Debian's and
RHEL's grub-mkconfig write them); grubenv is checked against grub-editenv's own listing of
the file it wrote; rpm's version comparison against the cases of rpm's test suite
(tests/rpmvercmp.at), whose results are rpm's documented behaviour.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

from ec2_import_image.diskimage.sources import FileBlob
from ec2_import_image.guestos import bls, grubcfg, menulst
from ec2_import_image.guestos.bootloader import read_boot_choice, resolve_default
from ec2_import_image.guestos.locate import search
from ec2_import_image.guestos.osreport import BootLoader
from ec2_import_image.guestos.system import LinuxSystem
from tests.guestos.test_release import tree
from tests.support.osfixtures import OsImages, records

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _recipe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("os_fixtures", SCRIPTS / "os_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("os_fixtures", module)
    spec.loader.exec_module(module)
    return module


RECIPE = _recipe()
UUID = "0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11"
KERNELS = ["6.1.0-15-amd64", "6.1.0-13-amd64"]


def debian_cfg(default: str) -> str:
    text: str = RECIPE.debian_grub_cfg(
        "Debian GNU/Linux", KERNELS, f"UUID={UUID}", uuid=UUID, part="gpt3", default=default
    )
    return text


def debian_system(default: str, grubenv: bytes | None = None) -> LinuxSystem:
    files: dict[str, object] = {"boot/grub/grub.cfg": debian_cfg(default).encode()}
    for kernel in KERNELS:
        files[f"boot/vmlinuz-{kernel}"] = b"k"
    if grubenv is not None:
        files["boot/grub/grubenv"] = grubenv
    return LinuxSystem(tree(files), "disk 1")


def grubenv(**variables: str) -> bytes:
    body = "# GRUB Environment Block\n" + "".join(f"{k}={v}\n" for k, v in variables.items())
    return body.encode().ljust(1024, b"#")


@pytest.mark.parametrize(
    ("default", "env", "kernel", "title"),
    [
        ("0", {}, "6.1.0-15-amd64", "Debian GNU/Linux"),
        ("1>2", {}, "6.1.0-13-amd64", "Debian GNU/Linux, with Linux 6.1.0-13-amd64"),
        (
            "1>1",
            {},
            "6.1.0-15-amd64",
            "Debian GNU/Linux, with Linux 6.1.0-15-amd64 (recovery mode)",
        ),
        (
            "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-13-amd64",
            {},
            "6.1.0-13-amd64",
            "Debian GNU/Linux, with Linux 6.1.0-13-amd64",
        ),
        (
            f"gnulinux-advanced-{UUID}>gnulinux-6.1.0-13-amd64-recovery-{UUID}",
            {},
            "6.1.0-13-amd64",
            "Debian GNU/Linux, with Linux 6.1.0-13-amd64 (recovery mode)",
        ),
        ("${saved_entry}", {"saved_entry": "1>2"}, "6.1.0-13-amd64", None),
        # next_entry (grub-reboot) wins over the saved entry
        ("${saved_entry}", {"saved_entry": "0", "next_entry": "1>2"}, "6.1.0-13-amd64", None),
        # no saved entry: default is empty, GRUB boots the first entry
        ("${saved_entry}", {}, "6.1.0-15-amd64", "Debian GNU/Linux"),
    ],
)
def test_debians_grub_cfg_defaults(
    default: str, env: dict[str, str], kernel: str, title: str | None
) -> None:
    choice = read_boot_choice(debian_system(default, grubenv(**env)), KERNELS)
    assert choice.loader is BootLoader.GRUB2 and choice.undetermined is None
    assert choice.kernel == kernel
    assert choice.entry is not None
    if title is not None:
        assert choice.entry.title == title
    assert choice.entry.options.startswith(f"root=UUID={UUID} ro")
    assert choice.entry.initrd == (f"/boot/initrd.img-{kernel}",)


def test_a_default_naming_nothing_boots_the_first_entry_and_says_so() -> None:
    choice = read_boot_choice(debian_system("7"), KERNELS)
    assert choice.kernel == "6.1.0-15-amd64"
    assert any("names no entry" in finding for finding in choice.findings)
    submenu = read_boot_choice(debian_system("1"), KERNELS)  # a submenu: nothing to boot
    assert submenu.kernel is None and submenu.undetermined is not None


def test_the_menu_grub_builds() -> None:
    menu = grubcfg.read_menu(debian_cfg("0"), {})
    titles = [item.title for item in menu.items if isinstance(item, grubcfg.MenuEntry)]
    assert titles == ["Debian GNU/Linux", "Advanced options for Debian GNU/Linux"]
    submenu = menu.items[1]
    assert isinstance(submenu, grubcfg.MenuEntry) and submenu.children is not None
    assert len(submenu.children) == 4
    assert menu.variables["menuentry_id_option"] == "--id"
    assert menu.default == "0" and not menu.uses_bls


def test_grubenv_is_what_grub_editenv_listed(os_images: OsImages) -> None:
    with FileBlob(os_images.path("rocky9-lvm")) as blob:
        found = search([blob])
        boot = next(v for v in found.opened if v.candidate.where == "disk 1 partition 1")
        data = boot.tree.read_file("/grub2/grubenv")
    assert len(data) == grubcfg.GRUBENV_SIZE
    listed = str(records("rocky9-lvm")["grubenv:grub2/grubenv"]).splitlines()
    assert grubcfg.parse_grubenv(data) == dict(line.split("=", 1) for line in listed if line)


def test_grubenv_escapes() -> None:
    data = b"# GRUB Environment Block\na=x\\\\y\nb=line\\\nnext\n#####"
    assert grubcfg.parse_grubenv(data) == {"a": "x\\y", "b": "line\nnext"}


def test_quoting_expansion_and_tests() -> None:
    script = r"""
set a="one two"
b='$a'
c="${a} \$a"
if [ x"${a}" = "xone two" -a -n "$a" ]; then set d=yes; else set d=no; fi
if [ "$undefined" ]; then set e=yes; elif [ -z "$undefined" ]; then set e=elif; fi
function f { set g=never; }
for i in 1 2 3; do set h=never; done
"""
    variables = grubcfg.read_menu(script, {}).variables
    assert variables["a"] == "one two" and variables["b"] == "$a"
    assert variables["c"] == "one two $a"
    assert variables["d"] == "yes" and variables["e"] == "elif"
    assert "g" not in variables and "h" not in variables


@pytest.mark.parametrize("text", ["if true; then", "menuentry 'x' {", "echo 'open", "}"])
def test_unbalanced_configs_are_refused(text: str) -> None:
    with pytest.raises(grubcfg.GrubSyntaxError):
        grubcfg.read_menu(text, {})


# -- BLS ------------------------------------------------------------------------------------

#: rpm's tests/rpmvercmp.at: (a, b, rpmvercmp(a, b))
RPMVERCMP = [
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
]


@pytest.mark.parametrize(("a", "b", "result"), RPMVERCMP)
def test_rpmvercmp(a: str, b: str, result: int) -> None:
    assert bls.rpmvercmp(a, b) == result


def test_bls_entries_sort_as_blscfg_sorts_them() -> None:
    mid = "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99"
    names = [
        f"{mid}-5.14.0-284.11.1.el9_2.x86_64",
        f"{mid}-0-rescue",
        f"{mid}-5.14.0-362.8.1.el9_3.x86_64",
        f"{mid}-5.14.0-70.13.1.el9_0.x86_64",
    ]
    entries = [bls.parse_entry(name, f"title {name}\n") for name in names]
    assert [entry.id for entry in bls.sort_entries(entries)] == [
        f"{mid}-5.14.0-362.8.1.el9_3.x86_64",
        f"{mid}-5.14.0-284.11.1.el9_2.x86_64",
        f"{mid}-5.14.0-70.13.1.el9_0.x86_64",
        f"{mid}-0-rescue",
    ]
    assert bls.split_package("kernel-5.14.0-362.fc38") == ("kernel", "5.14.0", "362.fc38")
    assert bls.split_package(f"{mid}-0-rescue") == (mid, "0", "rescue")
    assert bls.split_package("single") == ("single", None, None)


def test_bls_entry_keys() -> None:
    entry = bls.parse_entry(
        "x",
        "title Rocky Linux (5.14.0) 9.3\nversion 5.14.0\nlinux /vmlinuz-5.14.0\n"
        "initrd /initramfs-5.14.0.img $tuned_initrd\noptions root=/dev/mapper/rl-root ro\n"
        "options quiet\n# a comment\ngrub_users $grub_users\n",
    )
    assert entry.title == "Rocky Linux (5.14.0) 9.3" and entry.version == "5.14.0"
    assert entry.initrd == ("/initramfs-5.14.0.img", "$tuned_initrd")
    assert entry.options == "root=/dev/mapper/rl-root ro quiet"


def rhel_system(boot: Mapping[str, object], env: bytes | None) -> LinuxSystem:
    """A separate /boot (its own tree) holding a RHEL-style grub.cfg and BLS entries."""
    cfg = RECIPE.REDHAT_GRUB_CFG.replace("@PART@", "msdos").replace("@BOOTPART@", "msdos1")
    files: dict[str, object] = {"grub2/grub.cfg": cfg.replace("@BOOTUUID@", "u").encode(), **boot}
    if env is not None:
        files["grub2/grubenv"] = env
    return LinuxSystem(tree({"etc": {}}), "lvm rhel/root", tree(files), "disk 1 partition 1")


def test_rhel8_kernelopts_come_from_grubenv() -> None:
    kernel = "4.18.0-372.9.1.el8.x86_64"
    boot = {
        f"loader/entries/m-{kernel}.conf": (
            f"title RHEL ({kernel})\nversion {kernel}\nlinux /vmlinuz-{kernel}\n"
            f"initrd /initramfs-{kernel}.img\noptions $kernelopts\n"
        ).encode(),
        f"vmlinuz-{kernel}": b"k",
    }
    env = grubenv(
        saved_entry=f"m-{kernel}", kernelopts="root=/dev/mapper/rhel-root ro rd.lvm.lv=rhel/root"
    )
    choice = read_boot_choice(rhel_system(boot, env), [kernel])
    assert choice.loader is BootLoader.GRUB2_BLS and choice.kernel == kernel
    assert choice.entry is not None
    assert choice.entry.options == "root=/dev/mapper/rhel-root ro rd.lvm.lv=rhel/root"


def test_bls_without_a_default() -> None:
    kernels = ["6.5.6-300.fc39.x86_64", "6.7.5-200.fc39.x86_64"]
    boot: dict[str, object] = {
        f"loader/entries/m-{k}.conf": f"title F ({k})\nlinux /vmlinuz-{k}\n".encode()
        for k in kernels
    }
    two = read_boot_choice(rhel_system(boot, grubenv(boot_success="1")), kernels)
    assert two.kernel is None and two.undetermined is not None
    assert "no default" in two.undetermined
    assert two.fallback_kernel == "6.7.5-200.fc39.x86_64"  # newest first
    wrong = read_boot_choice(rhel_system(boot, grubenv(saved_entry="m-5.0")), kernels)
    assert wrong.kernel is None and wrong.undetermined is not None and "m-5.0" in wrong.undetermined
    del boot[f"loader/entries/m-{kernels[0]}.conf"]
    one = read_boot_choice(rhel_system(boot, None), kernels)
    assert one.kernel == kernels[1] and one.undetermined is None


def test_grub_legacy_with_a_separate_boot() -> None:
    menu = (
        b"# grub.conf generated by anaconda\ndefault=1\ntimeout=5\nhiddenmenu\n"
        b"title CentOS (2.6.18-419.el5)\n\troot (hd0,0)\n"
        b"\tkernel /vmlinuz-2.6.18-419.el5 ro root=/dev/VolGroup00/LogVol00\n"
        b"\tinitrd /initrd-2.6.18-419.el5.img\n"
        b"title CentOS (2.6.18-398.el5)\n\troot (hd0,0)\n"
        b"\tkernel /vmlinuz-2.6.18-398.el5 ro root=LABEL=/\n\tinitrd /initrd-2.6.18-398.el5.img\n"
    )
    boot = tree(
        {
            "grub/grub.conf": menu,
            "grub/menu.lst": ("link", "grub.conf"),
            "vmlinuz-2.6.18-419.el5": b"k",
            "vmlinuz-2.6.18-398.el5": b"k",
        }
    )
    system = LinuxSystem(tree({"etc": {}}), "lvm VolGroup00/LogVol00", boot, "disk 1 partition 1")
    choice = read_boot_choice(system, ["2.6.18-398.el5", "2.6.18-419.el5"])
    assert choice.loader is BootLoader.GRUB_LEGACY and choice.kernel == "2.6.18-398.el5"
    assert choice.entry is not None and choice.entry.options == "ro root=LABEL=/"
    assert choice.findings == []  # menu.lst is the same file as grub.conf


def test_menu_lst_saved_default() -> None:
    parsed = menulst.parse_menu_lst(
        "default saved\ntitle a\nkernel /vmlinuz-a\ntitle b\nkernel /vmlinuz-b x=1\n"
    )
    entry = parsed.default_entry(menulst.saved_default("1\n"))
    assert entry is not None and entry.kernel == "/vmlinuz-b" and entry.arguments == "x=1"
    assert parsed.default_entry(None) is parsed.entries[0]


def test_a_stub_grub_cfg_hands_over() -> None:
    stub = (
        b"search --no-floppy --fs-uuid --set=dev u\nset prefix=($dev)/grub2\n"
        b"configfile $prefix/grub.cfg\n"
    )
    files = {
        "boot/grub2/grub.cfg": stub,
        "boot/grub/grub.cfg": debian_cfg("1>2").encode(),
        "boot/vmlinuz-6.1.0-13-amd64": b"k",
    }
    choice = read_boot_choice(LinuxSystem(tree(files), "disk 1"), KERNELS)
    assert choice.config == "/boot/grub/grub.cfg" and choice.kernel == "6.1.0-13-amd64"


def test_different_configurations_are_noted() -> None:
    files = {
        "boot/grub2/grub.cfg": debian_cfg("0").encode(),
        "boot/grub/menu.lst": b"default 0\ntitle old\nkernel /boot/vmlinuz-2.6 root=/dev/sda1\n",
    }
    choice = read_boot_choice(LinuxSystem(tree(files), "disk 1"), KERNELS)
    assert choice.kernel == "6.1.0-15-amd64"
    assert any("Multiple different grub/menu.lst files" in f for f in choice.findings)


def test_no_configuration() -> None:
    system = LinuxSystem(tree({"boot": {"vmlinuz-6.1.0-13-amd64": b"k"}}), "disk 1")
    only = read_boot_choice(system, ["6.1.0-13-amd64"])
    assert only.kernel == "6.1.0-13-amd64" and only.loader is None
    several = read_boot_choice(system, KERNELS)
    assert several.kernel is None and several.undetermined is not None


def test_a_kernel_named_through_a_link() -> None:
    files = {
        "boot/grub2/grub.cfg": b"menuentry 'SLES' {\n linux /boot/vmlinuz root=UUID=x\n}\n",
        "boot/vmlinuz": ("link", "vmlinuz-5.14.21-150500.53-default"),
        "boot/vmlinuz-5.14.21-150500.53-default": b"k",
    }
    choice = read_boot_choice(LinuxSystem(tree(files), "disk 1"), [])
    assert choice.kernel == "5.14.21-150500.53-default"


def test_resolve_default_levels() -> None:
    from ec2_import_image.guestos.bootloader import BootEntry

    leaf = BootEntry("b", "id-b", "/vmlinuz-2", (), "")
    items = [
        BootEntry("a", "id-a", "/vmlinuz-1", (), ""),
        BootEntry("sub", "id-sub", None, (), "", [BootEntry("x", None, None, (), ""), leaf]),
    ]
    assert resolve_default(items, "id-sub>id-b") is leaf
    assert resolve_default(items, "sub>1") is leaf
    assert resolve_default(items, "") is items[0]
    assert resolve_default(items, "2") is None and resolve_default(items, "sub") is None


def test_what_lies_on_the_esp_is_not_judged() -> None:
    """RHEL 8 on UEFI keeps grub.cfg and grubenv on the ESP (FAT, not read): /boot/grub2's
    grubenv is a link there.  No default can be read, and none is called undetermined."""
    kernels = ["4.18.0-372.9.1.el8.x86_64", "4.18.0-477.10.1.el8_8.x86_64"]
    boot: dict[str, object] = {
        f"loader/entries/m-{k}.conf": f"title R ({k})\nlinux /vmlinuz-{k}\n".encode()
        for k in kernels
    }
    linked = {**boot, "grub2/grubenv": ("link", "../efi/EFI/redhat/grubenv")}
    choice = read_boot_choice(rhel_system(linked, None), kernels)
    assert choice.kernel is None and choice.undetermined is None
    assert choice.fallback_kernel is None
    assert any("not judged" in finding for finding in choice.findings)
    no_config = LinuxSystem(tree({"etc": {}}), "lvm", tree(boot), "disk 1 partition 2")
    on_esp = read_boot_choice(no_config, kernels, esp=True)
    assert on_esp.kernel is None and on_esp.undetermined is None
    assert read_boot_choice(no_config, kernels).undetermined is not None
