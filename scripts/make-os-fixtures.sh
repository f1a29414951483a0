#!/usr/bin/env bash
# Build the operating-system disks of tests/fixtures/os/ with real tools, and record what
# the tools say of each, then pack them (scripts/pack_sparse.py: non-zero extents, xz).
#
# Run as root on Debian 12 (bookworm) with loop devices and /dev/fuse, once these are
# installed:
#   apt-get install e2fsprogs xfsprogs btrfs-progs lvm2 dosfstools mtools ntfs-3g gdisk \
#       fdisk util-linux cpio zstd xz-utils gzip cryptsetup-bin grub-common python3
# The committed fixtures were made with mke2fs 1.47.0, mkfs.xfs 6.1.0, btrfs-progs 6.2,
# LVM 2.03.16, mkfs.fat 4.2, ntfs-3g 2022.10.3, sgdisk 1.0.9, sfdisk 2.38.1, GNU cpio
# 2.13, zstd 1.5.4, xz 5.4.1, cryptsetup 2.6.1 and grub-editenv 2.06, on Linux 6.18.
#
# The disks (whole disks: a partition table and the file systems in it), each a real
# distribution's layout with the trees of scripts/os_fixtures.py:
#   debian12        GPT (sgdisk): BIOS boot, ESP (FAT, \EFI\BOOT\BOOTX64.EFI), ext4 root
#                   (mkfs.ext4 -d).  GRUB 2 with GRUB_DEFAULT=saved: grubenv's
#                   saved_entry (grub-editenv) names the submenu entry of 6.1.0-13 by ids;
#                   the newest kernel is 6.1.0-15.  initrd.img-6.1.0-13-amd64: an
#                   uncompressed early-microcode cpio, then the zstd-compressed main cpio
#                   holding nvme.ko; 6.1.0-15's has no nvme.  ifupdown DHCP through
#                   interfaces.d, fstab by UUID, cloud-init.
#   rocky9-lvm      MBR (sfdisk): ext4 /boot (BLS entries, grub2/grubenv's saved_entry the
#                   older kernel's entry, dracut initramfs: microcode + gzip, .ko.xz
#                   modules, nvme only in the saved kernel's), LVM2 PV (pvcreate/vgcreate/
#                   lvcreate with activation off; the LVs written with dd where lvs says)
#                   with rl/root (XFS: mkfs.xfs, filled through a loop mount) and rl/swap.
#                   NetworkManager keyfile (method=auto), fstab by /dev/mapper and UUID.
#   fedora39-btrfs  GPT: ESP, ext4 /boot (BLS entries for two kernels, grubenv without
#                   saved_entry), Btrfs (mkfs.btrfs, subvolumes root and home made through
#                   a loop mount; the top level is the default subvolume).  nvme built in.
#   ubuntu-static   MBR: one ext4 partition; fstab and root= by /dev/sda1, netplan with a
#                   static address.
#   debian8         MBR: ext4 (without metadata_csum and 64bit, as jessie's mke2fs made
#                   it): Debian 8, a version ImportImage no longer lists; no ENA module.
#   centos7         MBR: XFS root; GRUB 2 (no BLS) whose saved_entry (a title) is the elrepo
#                   kernel 5.4 (outside the listed 3.10.0), whose dracut initramfs lacks
#                   nvme; ifcfg DHCP.
#   windows2019     MBR: NTFS "System Reserved", NTFS C: (mkntfs, filled through ntfs-3g)
#                   with the SOFTWARE and SYSTEM hives of tests/fixtures/guestos/registry/
#                   (Windows Server 2019, the AWS drivers installed).
#   windows-noaws   the same with the SYSTEM hive whose current control set has no AWS
#                   driver (Windows' own stornvme only).
#   data            GPT: one ext4 file system of files, no system.
#   luks            GPT: ext4 /boot, a LUKS2 volume (cryptsetup luksFormat) for the root.
#
# Beside each disk, NAME.records.json holds the tools' records: sfdisk --json, blkid -p
# of each partition (at its offset), the trees' manifests (scripts/tree_manifest.py),
# cpio -it of each initramfs part, grub-editenv list, lvs/pvs JSON, btrfs subvolume list,
# each fstab as findmnt --fstab reads it, and each os-release as a shell sees it (sourced
# by sh: ID, VERSION_ID, PRETTY_NAME).
# The tests read the committed files; they never run these tools.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../tests/fixtures/os}
WORK=$(mktemp -d)
TREES="python3 $HERE/os_fixtures.py"
LOOPS=()
MOUNTS=()
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1700000000

cleanup() {
    for mounted in "${MOUNTS[@]}"; do umount "$mounted" 2>/dev/null || fusermount -u "$mounted" 2>/dev/null || true; done
    for device in "${LOOPS[@]}"; do losetup -d "$device" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*
eval "$($TREES ids)"

attach() { LOOP=$(losetup -f --show "$1"); LOOPS+=("$LOOP"); }
detach() {
    losetup -d "$1"
    local kept=() device
    for device in "${LOOPS[@]}"; do [[ $device == "$1" ]] || kept+=("$device"); done
    LOOPS=("${kept[@]+"${kept[@]}"}")
}
mount_at() { mkdir -p "$2"; mount "${@:3}" "$1" "$2"; MOUNTS+=("$2"); }
unmount() {
    umount "$1"
    local kept=() mounted
    for mounted in "${MOUNTS[@]}"; do [[ $mounted == "$1" ]] || kept+=("$mounted"); done
    MOUNTS=("${kept[@]+"${kept[@]}"}")
}
tree() { $TREES tree "$1" "$2"; find "$2" -exec touch -h -d @1700000000 {} +; }

# the records of the fixture being made: KEY=FILE lines in $WORK/rec/index (appended to
# from pipelines too, which run in subshells), for os_fixtures.py records
mkdir -p "$WORK/rec"
: >"$WORK/rec/index"
record() { # record KEY: stdin is the tool's output
    local file
    file=$(mktemp "$WORK/rec/XXXXXX")
    cat >"$file"
    printf '%s=%s\n' "$1" "$file" >>"$WORK/rec/index"
}
manifest() { python3 "$HERE/tree_manifest.py" "$2" "$WORK/m.jsonl"; python3 -c '
import json, sys
print(json.dumps([json.loads(line) for line in open(sys.argv[1])]))' "$WORK/m.jsonl" | record "manifest:$1"; }
os_release() { # os_release KEY FILE: the file sourced by a shell
    env -i sh -c '. "$1"; printf "{\"ID\": \"%s\", \"VERSION_ID\": \"%s\", \"PRETTY_NAME\": \"%s\"}\n" "$ID" "$VERSION_ID" "$PRETTY_NAME"' _ "$2" | record "os_release:$1"
}
fstab() { # fstab KEY FILE: the fstab as findmnt reads it
    findmnt --fstab --tab-file "$2" -J -o SOURCE,TARGET,FSTYPE,OPTIONS | record "fstab:$1"
}
grubenv() { # grubenv FILE VAR=VALUE...: a grubenv made by grub-editenv, and its listing
    grub-editenv "$1" create
    if [[ $# -gt 1 ]]; then grub-editenv "$1" set "${@:2}"; fi
    grub-editenv "$1" list | record "grubenv:$(basename "$(dirname "$1")")/$(basename "$1")"
}
# initramfs OUT COMPRESS KIND [microcode]: cpio -o (newc) of a tree, compressed, with the
# early microcode archive first when asked; cpio -it of each part is recorded
initramfs() {
    local out=$1 compress=$2 kind=$3 dir="$WORK/initrd-$3"
    rm -rf "$dir"; tree "$kind" "$dir"
    (cd "$dir" && find . | sort | cpio --quiet -o -H newc -R 0:0 >"$WORK/main.cpio")
    cpio --quiet -it <"$WORK/main.cpio" | record "initramfs:$(basename "$out")"
    : >"$out"
    if [[ ${4:-} == microcode ]]; then
        rm -rf "$WORK/ucode"; tree microcode "$WORK/ucode"
        (cd "$WORK/ucode" && find . | sort | cpio --quiet -o -H newc -R 0:0 >"$WORK/ucode.cpio")
        cat "$WORK/ucode.cpio" >>"$out"
    fi
    case $compress in
        zstd) zstd -q -19 -c "$WORK/main.cpio" >>"$out" ;;
        gzip) gzip -9 -n -c "$WORK/main.cpio" >>"$out" ;;
        xz) xz --check=crc32 -c "$WORK/main.cpio" >>"$out" ;;
    esac
}
mkext4() { # mkext4 IMAGE SIZE UUID LABEL TREE [mke2fs options]
    mkfs.ext4 -q -F -U "$3" -L "$4" -E root_owner=0:0 "${@:6}" -d "$5" "$1" "$2"
}
mkxfs() { # mkxfs IMAGE SIZE UUID LABEL TREE: mkfs.xfs, then the tree copied in through a mount
    truncate -s "$2" "$1"
    mkfs.xfs -q -f -m uuid="$3" -L "$4" "$1"
    attach "$1"; mount_at "$LOOP" "$WORK/mnt"
    cp -a "$5/." "$WORK/mnt/"
    unmount "$WORK/mnt"; detach "$LOOP"
}
mkesp() { # mkesp IMAGE SIZE SERIAL: a FAT ESP with the fallback loader
    truncate -s "$2" "$1"
    mkfs.vfat -i "$3" -n EFI "$1" >/dev/null
    printf 'MZ placeholder BOOTX64.EFI\n' >"$WORK/BOOTX64.EFI"
    mmd -i "$1" ::EFI ::EFI/BOOT
    mcopy -i "$1" "$WORK/BOOTX64.EFI" ::EFI/BOOT/BOOTX64.EFI
}
put() { # put DISK N IMAGE: IMAGE written into partition N where sfdisk says it starts
    local start
    start=$(sfdisk --json "$1" | python3 -c '
import json, sys
table = json.load(sys.stdin)["partitiontable"]
part = [p for p in table["partitions"] if p["node"].endswith(sys.argv[1])][0]
print(part["start"] * table.get("sectorsize", 512))' "$2")
    dd if="$3" of="$1" bs=1M oflag=seek_bytes seek="$start" conv=notrunc,sparse status=none
}
finish() { # finish NAME DISK: the disk's records, then the packed disk
    sfdisk --json "$2" | record sfdisk
    local start part
    while read -r part start; do
        blkid -p -o export -O "$start" "$2" | grep -E '^(TYPE|UUID|LABEL|PART_ENTRY_UUID|PART_ENTRY_NAME)=' \
            | record "blkid:$part" || true
    done < <(sfdisk --json "$2" | python3 -c '
import json, sys
table = json.load(sys.stdin)["partitiontable"]
for index, p in enumerate(table["partitions"], 1):
    print(index, p["start"] * table.get("sectorsize", 512))')
    mapfile -t pairs <"$WORK/rec/index"
    $TREES records "$1" "$OUT" "${pairs[@]}"
    python3 "$HERE/pack_sparse.py" "$2" "$OUT/$1.raw.xz"
    : >"$WORK/rec/index"
}

# -- Debian 12 ----------------------------------------------------------------------------

root="$WORK/debian12"
tree debian12 "$root"
initramfs "$root/boot/initrd.img-6.1.0-13-amd64" zstd initrd-debian-6.1.0-13 microcode
initramfs "$root/boot/initrd.img-6.1.0-15-amd64" zstd initrd-debian-6.1.0-15 microcode
grubenv "$root/boot/grub/grubenv" \
    "saved_entry=gnulinux-advanced-$DEB_ROOT>gnulinux-6.1.0-13-amd64-advanced-$DEB_ROOT"
os_release debian12 "$root/etc/os-release"
fstab debian12 "$root/etc/fstab"
manifest debian12 "$root"
disk="$WORK/debian12.raw"
truncate -s 128M "$disk"
sgdisk -o -n 1:2048:+1M -t 1:EF02 -c 1:bios -n 2:0:+16M -t 2:EF00 -c 2:EFI \
    -n 3:0:0 -t 3:8304 -c 3:root "$disk" >/dev/null
mkesp "$WORK/esp.img" 16M "$DEB_ESP"
mkext4 "$WORK/root.img" 100M "$DEB_ROOT" root "$root"
put "$disk" 2 "$WORK/esp.img"
put "$disk" 3 "$WORK/root.img"
finish debian12 "$disk"

# -- Rocky Linux 9: /boot, LVM with an XFS root -----------------------------------------------

root="$WORK/rocky-root"
boot="$WORK/rocky-boot"
tree rocky9-root "$root"
tree rocky9-boot "$boot"
initramfs "$boot/initramfs-5.14.0-284.11.1.el9_2.x86_64.img" gzip initrd-rocky-284 microcode
initramfs "$boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img" gzip initrd-rocky-362 microcode
grubenv "$boot/grub2/grubenv" "saved_entry=$MACHINE_ID-5.14.0-284.11.1.el9_2.x86_64" \
    boot_success=1
os_release rocky9 "$root/etc/os-release"
fstab rocky9 "$root/etc/fstab"
manifest rocky9-root "$root"
manifest rocky9-boot "$boot"
disk="$WORK/rocky9.raw"
truncate -s 480M "$disk"
printf 'label: dos\nstart=2048, size=64MiB, type=83, bootable\nstart=, type=8e\n' \
    | sfdisk -q "$disk"
mkext4 "$WORK/boot.img" 64M "$ROCKY_BOOT" boot "$boot"
put "$disk" 1 "$WORK/boot.img"
mkxfs "$WORK/root.xfs" 320M "$ROCKY_ROOT" root "$root"
truncate -s 16M "$WORK/swap.img"
mkswap -q -L swap "$WORK/swap.img"
# the PV: its own file, then put in partition 2
pv_size=$(sfdisk --json "$disk" | python3 -c '
import json, sys; t = json.load(sys.stdin)["partitiontable"]; print(t["partitions"][1]["size"] * 512)')
truncate -s "$pv_size" "$WORK/pv.img"
attach "$WORK/pv.img"
export LVM_SUPPRESS_FD_WARNINGS=1
LVM_CONFIG='global { activation = 0 } backup { backup = 0 archive = 0 }'
lvm_() { "$1" --config "$LVM_CONFIG" --devices "$LOOP" "${@:2}" >"$WORK/lvm.log" 2>&1 || { cat "$WORK/lvm.log" >&2; exit 1; }; }
lvm_ pvcreate -ff -y "$LOOP"
lvm_ vgcreate -s 4m rl "$LOOP"
lvm_ lvcreate -an -Zn -L 16m -n swap rl
lvm_ lvcreate -an -Zn -L 320m -n root rl
lvs --config "$LVM_CONFIG" --devices "$LOOP" --segments --reportformat json --units b --nosuffix \
    -o vg_name,lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges,vg_extent_size 2>/dev/null >"$WORK/segments.json"
pvs --config "$LVM_CONFIG" --devices "$LOOP" --reportformat json --units b --nosuffix \
    -o pv_name,pe_start 2>/dev/null >"$WORK/pvs.json"
for lv in root swap; do
    image="$WORK/root.xfs"; [[ $lv == swap ]] && image="$WORK/swap.img"
    python3 "$HERE/btrfs_lvm_fixtures.py" lvm-place "$WORK/segments.json" "$WORK/pvs.json" "rl/$lv" \
        | while read -r device skip seek count; do
            dd if="$image" of="$device" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes \
                skip="$skip" seek="$seek" count="$count" conv=notrunc status=none
        done
done
sed "s#$LOOP#pv#g" "$WORK/segments.json" | record lvs
detach "$LOOP"
put "$disk" 2 "$WORK/pv.img"
blkid -p -o export "$WORK/root.xfs" | grep -E '^(TYPE|UUID|LABEL)=' | record "blkid:rl/root"
finish rocky9-lvm "$disk"

# -- Fedora 39: Btrfs subvolumes root and home, separate /boot --------------------------------

root="$WORK/fedora-root"
home="$WORK/fedora-home"
boot="$WORK/fedora-boot"
tree fedora-root "$root"
tree fedora-home "$home"
tree fedora-boot "$boot"
initramfs "$boot/initramfs-6.7.5-200.fc39.x86_64.img" zstd initrd-fedora-6.7.5 microcode
initramfs "$boot/initramfs-6.5.6-300.fc39.x86_64.img" zstd initrd-fedora-6.5.6 microcode
grubenv "$boot/grub2/grubenv" boot_success=1 menu_auto_hide=1
os_release fedora39 "$root/etc/os-release"
fstab fedora39 "$root/etc/fstab"
manifest fedora-root "$root"
manifest fedora-boot "$boot"
disk="$WORK/fedora39.raw"
truncate -s 400M "$disk"
sgdisk -o -n 1:2048:+16M -t 1:EF00 -c 1:EFI -n 2:0:+64M -t 2:8300 -c 2:boot \
    -n 3:0:0 -t 3:8304 -c 3:root "$disk" >/dev/null
mkesp "$WORK/esp.img" 16M "$FED_ESP"
mkext4 "$WORK/boot.img" 64M "$FED_BOOT" boot "$boot"
truncate -s 300M "$WORK/btrfs.img"
mkfs.btrfs -q -f -L fedora -U "$FED_BTRFS" "$WORK/btrfs.img" >/dev/null
attach "$WORK/btrfs.img"
mount_at "$LOOP" "$WORK/mnt" -t btrfs -o compress=zstd:1
btrfs -q subvolume create "$WORK/mnt/root"
btrfs -q subvolume create "$WORK/mnt/home"
cp -a "$root/." "$WORK/mnt/root/"
cp -a "$home/." "$WORK/mnt/home/"
sync
btrfs subvolume list -p "$WORK/mnt" | record subvolumes
btrfs subvolume get-default "$WORK/mnt" | record default-subvolume
unmount "$WORK/mnt"
detach "$LOOP"
put "$disk" 1 "$WORK/esp.img"
put "$disk" 2 "$WORK/boot.img"
put "$disk" 3 "$WORK/btrfs.img"
finish fedora39-btrfs "$disk"

# -- Ubuntu 22.04: /dev/sda1 and a static address ----------------------------------------------

root="$WORK/ubuntu"
tree ubuntu-static "$root"
initramfs "$root/boot/initrd.img-5.15.0-91-generic" zstd initrd-ubuntu microcode
os_release ubuntu "$root/etc/os-release"
fstab ubuntu "$root/etc/fstab"
manifest ubuntu "$root"
disk="$WORK/ubuntu.raw"
truncate -s 96M "$disk"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk"
mkext4 "$WORK/root.img" 94M "$UBU_ROOT" cloudimg-rootfs "$root"
put "$disk" 1 "$WORK/root.img"
finish ubuntu-static "$disk"

# -- Debian 8 -------------------------------------------------------------------------------

root="$WORK/jessie"
tree debian8 "$root"
initramfs "$root/boot/initrd.img-3.16.0-6-amd64" gzip initrd-jessie
os_release debian8 "$root/etc/os-release"
fstab debian8 "$root/etc/fstab"
manifest debian8 "$root"
disk="$WORK/debian8.raw"
truncate -s 64M "$disk"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk"
mkext4 "$WORK/root.img" 62M "$JES_ROOT" "" "$root" -O ^metadata_csum,^64bit,^metadata_csum_seed
put "$disk" 1 "$WORK/root.img"
finish debian8 "$disk"

# -- CentOS 7 with an elrepo kernel -----------------------------------------------------------

root="$WORK/centos7"
tree centos7 "$root"
initramfs "$root/boot/initramfs-5.4.265-1.el7.elrepo.x86_64.img" gzip initrd-centos-elrepo
initramfs "$root/boot/initramfs-3.10.0-1160.el7.x86_64.img" gzip initrd-centos-3.10
grubenv "$root/boot/grub2/grubenv" "saved_entry=CentOS Linux (5.4.265-1.el7.elrepo.x86_64) 7 (Core)"
os_release centos7 "$root/etc/os-release"
fstab centos7 "$root/etc/fstab"
manifest centos7 "$root"
disk="$WORK/centos7.raw"
truncate -s 330M "$disk"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk"
mkxfs "$WORK/root.xfs" 320M "$CEN_ROOT" "" "$root"
put "$disk" 1 "$WORK/root.xfs"
finish centos7 "$disk"

# -- Windows Server 2019 ------------------------------------------------------------------------

windows() { # windows NAME SYSTEM_HIVE
    local disk="$WORK/$1.raw" hives="$HERE/../tests/fixtures/guestos/registry"
    truncate -s 96M "$disk"
    printf 'label: dos\nstart=2048, size=16MiB, type=7, bootable\nstart=, type=7\n' | sfdisk -q "$disk"
    truncate -s 16M "$WORK/reserved.ntfs"
    mkntfs -F -Q -L "System Reserved" "$WORK/reserved.ntfs" >/dev/null
    truncate -s 78M "$WORK/c.ntfs"
    mkntfs -F -Q -L "Windows" "$WORK/c.ntfs" >/dev/null
    mkdir -p "$WORK/mnt"
    ntfs-3g "$WORK/reserved.ntfs" "$WORK/mnt"; MOUNTS+=("$WORK/mnt")
    mkdir -p "$WORK/mnt/Boot"; printf 'bootmgr placeholder\n' >"$WORK/mnt/bootmgr"
    printf 'BCD placeholder\n' >"$WORK/mnt/Boot/BCD"
    fusermount -u "$WORK/mnt"; MOUNTS=()
    ntfs-3g "$WORK/c.ntfs" "$WORK/mnt"; MOUNTS+=("$WORK/mnt")
    mkdir -p "$WORK/mnt/Windows/System32/config" "$WORK/mnt/Windows/System32/drivers" \
        "$WORK/mnt/Program Files" "$WORK/mnt/Users/Administrator"
    xz -dc "$hives/software-2019.hive.xz" >"$WORK/mnt/Windows/System32/config/SOFTWARE"
    xz -dc "$hives/$2.hive.xz" >"$WORK/mnt/Windows/System32/config/SYSTEM"
    printf 'MZ placeholder\n' >"$WORK/mnt/Windows/System32/ntoskrnl.exe"
    fusermount -u "$WORK/mnt"; MOUNTS=()
    put "$disk" 1 "$WORK/reserved.ntfs"
    put "$disk" 2 "$WORK/c.ntfs"
    sha256sum "$hives/software-2019.hive.xz" "$hives/$2.hive.xz" | sed "s#$hives/##" | record hives
    finish "$1" "$disk"
}
windows windows2019 system-aws
windows windows-noaws system-noaws

# -- no system: a data disk; an encrypted root ----------------------------------------------------

tree data "$WORK/data"
manifest data "$WORK/data"
disk="$WORK/data.raw"
truncate -s 40M "$disk"
sgdisk -o -n 1:2048:0 -t 1:8300 -c 1:data "$disk" >/dev/null
mkext4 "$WORK/data.img" 38M "$DATA" data "$WORK/data"
put "$disk" 1 "$WORK/data.img"
finish data "$disk"

tree luks-boot "$WORK/luks-boot"
manifest luks-boot "$WORK/luks-boot"
disk="$WORK/luks.raw"
truncate -s 72M "$disk"
sgdisk -o -n 1:2048:+32M -t 1:8300 -c 1:boot -n 2:0:0 -t 2:8309 -c 2:root "$disk" >/dev/null
mkext4 "$WORK/boot.img" 32M "$LUKS_BOOT" boot "$WORK/luks-boot"
truncate -s 36M "$WORK/luks.img"
printf 'fixture passphrase' >"$WORK/key"
# a 256-bit key's keyslot (4000 anti-forensic stripes: 125 KiB of random bytes) in a
# keyslot area of 128 KiB, so the packed fixture stays small
cryptsetup luksFormat -q --type luks2 --key-size 256 --luks2-metadata-size 16k \
    --luks2-keyslots-size 128k --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$WORK/key" "$WORK/luks.img"
put "$disk" 1 "$WORK/boot.img"
put "$disk" 2 "$WORK/luks.img"
finish luks "$disk"

ls -l "$OUT"
