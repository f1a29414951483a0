#!/usr/bin/env bash
# Build the disk-image fixtures of tests/fixtures/disks/ with real tools, then xz them.
#
# Run as root on Debian 12 (bookworm) once these packages are installed:
#   apt-get install qemu-utils gdisk fdisk dosfstools mtools e2fsprogs xfsprogs \
#       btrfs-progs jfsutils ntfs-3g cryptsetup-bin lvm2 xz-utils
# The committed fixtures were made with qemu-img 7.2.22, sgdisk 1.0.9, sfdisk (util-linux
# 2.38.1), mkfs.fat 4.2, mtools 4.0.32, mke2fs 1.47.0, mkfs.xfs 6.1.0, btrfs-progs 6.2,
# jfsutils 1.1.15, mkntfs (ntfs-3g 2022.10.3), cryptsetup 2.6.1, LVM 2.03.16.
# pvcreate needs a block device: the script attaches a loop device (losetup) to a plain
# file, writes the label and detaches it; nothing is mounted.
#
# Tests never run these tools: they unpack the committed .xz files (scripts/pack_sparse.py
# packs each image as its non-zero extents; tests/support/diskfixtures.py unpacks them into
# sparse files).  The images are mostly empty, so they compress to a few KiB each.
# Beside each image, IMAGE.oracle.json records what independent tools say of it (qemu-img
# info/check/compare, sfdisk --json, blkid, mdir: scripts/record_oracles.py), the
# tests' oracles.
# Variants no Linux tool makes (differencing VHD/VHDX, BitLocker) are built by hand from the
# published formats (src/ec2_import_emulator/samples.py, tests/diskimage/test_judge.py).
set -euo pipefail

OUT=${1:-tests/fixtures/disks}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export MTOOLS_SKIP_CHECK=1
MIB=$((1024 * 1024))
mkdir -p "$OUT"

# place FILE into IMAGE at byte OFFSET without touching the rest
place() { dd if="$1" of="$2" bs=1M oflag=seek_bytes seek="$3" conv=notrunc,sparse status=none; }

# esp IMAGE OFFSET_MIB SIZE_MIB LOADER...: a FAT16 ESP holding \EFI\BOOT\<LOADER> files
esp() {
    local image=$1 offset=$(($2 * MIB)) size=$3
    shift 3
    mkfs.vfat -F 16 -n ESP --offset=$((offset / 512)) "$image" $((size * 1024)) >/dev/null
    mmd -i "$image@@$offset" ::/efi ::/efi/boot ::/efi/debian
    printf 'MZ grub' >"$WORK/grubx64.efi"
    mcopy -i "$image@@$offset" "$WORK/grubx64.efi" ::/efi/debian/grubx64.efi
    for loader in "$@"; do
        printf 'MZ loader' >"$WORK/$loader"
        # lower case on purpose: the reader compares long names case-insensitively
        mcopy -i "$image@@$offset" "$WORK/$loader" "::/efi/boot/${loader,,}"
    done
}

# ext4 IMAGE OFFSET_MIB SIZE_MIB: an ext4 file system with a few files (no mount: mkfs -d)
ext4() {
    mkdir -p "$WORK/root/etc" "$WORK/root/boot"
    echo "/dev/sda2 / ext4 defaults 0 1" >"$WORK/root/etc/fstab"
    mkfs.ext4 -q -F -E offset=$(($2 * MIB)) -d "$WORK/root" "$1" $(($3 * 1024))k
}

# standalone FS SIZE_MIB COMMAND...: a file system made in its own file, for place()
standalone() {
    local file="$WORK/$1.fs"
    rm -f "$file"
    truncate -s "$2M" "$file"
    shift 2
    # quiet, but never silently empty: a tool that is missing or fails stops the recipe
    # ($(...) in an argument would lose the status, so it is said and the shell killed)
    if ! "$@" "$file" >/dev/null 2>&1; then
        echo "make-disk-fixtures: '$*' failed (is its package installed?)" >&2
        kill -TERM $$
        exit 1
    fi
    echo "$file"
}

gpt() { sgdisk --clear --disk-guid=11111111-2222-3333-4444-555555555555 "$@" >/dev/null; }

# -- RAW disks -------------------------------------------------------------------------

# GPT: EFI system partition with BOOTX64.EFI, Linux root (ext4): boots with UEFI only
truncate -s 64M "$WORK/gpt-uefi.raw"
gpt -n 1:1M:+16M -t 1:ef00 -c 1:ESP -n 2:17M:0 -t 2:8300 -c 2:root "$WORK/gpt-uefi.raw"
esp "$WORK/gpt-uefi.raw" 1 16 BOOTX64.EFI
ext4 "$WORK/gpt-uefi.raw" 17 46

# GPT: BIOS boot partition, ESP with BOOTX64.EFI, ext4: both boot modes
truncate -s 64M "$WORK/gpt-both.raw"
gpt -n 1:1M:+1M -t 1:ef02 -n 2:2M:+16M -t 2:ef00 -n 3:18M:0 -t 3:8300 "$WORK/gpt-both.raw"
esp "$WORK/gpt-both.raw" 2 16 BOOTX64.EFI
ext4 "$WORK/gpt-both.raw" 18 45

# GPT: an ESP without the fallback loader (only \EFI\debian\grubx64.efi)
truncate -s 64M "$WORK/gpt-esp-noloader.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:0 -t 2:8300 "$WORK/gpt-esp-noloader.raw"
esp "$WORK/gpt-esp-noloader.raw" 1 16
ext4 "$WORK/gpt-esp-noloader.raw" 17 46

# GPT: an arm64 disk (BOOTAA64.EFI)
truncate -s 64M "$WORK/gpt-arm64.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:0 -t 2:8300 "$WORK/gpt-arm64.raw"
esp "$WORK/gpt-arm64.raw" 1 16 BOOTAA64.EFI
ext4 "$WORK/gpt-arm64.raw" 17 46

# GPT Windows layout: ESP, Microsoft reserved, basic data (NTFS), recovery
truncate -s 64M "$WORK/gpt-windows.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:+16M -t 2:0c01 -n 3:33M:+24M -t 3:0700 \
    -n 4:57M:0 -t 4:2700 "$WORK/gpt-windows.raw"
esp "$WORK/gpt-windows.raw" 1 16 BOOTX64.EFI
place "$(standalone ntfs 24 mkntfs -F -Q -s 512 -p $((33 * 2048)) -H 255 -S 63)" \
    "$WORK/gpt-windows.raw" $((33 * MIB))

# MBR: active ext4, swap, an extended partition with logical xfs (300 MiB: mkfs.xfs's
# minimum) and an LVM physical volume
truncate -s 400M "$WORK/mbr-linux.raw"
sfdisk -q "$WORK/mbr-linux.raw" <<'SFDISK'
label: dos
label-id: 0x12345678
start=1MiB, size=32MiB, type=83, bootable
start=33MiB, size=8MiB, type=82
start=41MiB, type=5
start=42MiB, size=300MiB, type=83
start=343MiB, size=16MiB, type=8e
SFDISK
ext4 "$WORK/mbr-linux.raw" 1 32
place "$(standalone swap 8 mkswap)" "$WORK/mbr-linux.raw" $((33 * MIB))
place "$(standalone xfs 300 mkfs.xfs -q -f)" "$WORK/mbr-linux.raw" $((42 * MIB))
truncate -s 16M "$WORK/pv.fs"
loop=$(losetup -f --show "$WORK/pv.fs")
pvcreate -q -ff -y "$loop" >/dev/null 2>&1 || true
losetup -d "$loop"
place "$WORK/pv.fs" "$WORK/mbr-linux.raw" $((343 * MIB))

# MBR: other file systems: btrfs, jfs, vfat, and a LUKS2 volume
truncate -s 200M "$WORK/mbr-misc.raw"
sfdisk -q "$WORK/mbr-misc.raw" <<'SFDISK'
label: dos
label-id: 0x87654321
start=1MiB, size=120MiB, type=83, bootable
start=121MiB, size=24MiB, type=83
start=145MiB, size=16MiB, type=c
start=161MiB, size=32MiB, type=83
SFDISK
place "$(standalone btrfs 120 mkfs.btrfs -q -f)" "$WORK/mbr-misc.raw" $((1 * MIB))
place "$(standalone jfs 24 mkfs.jfs -q)" "$WORK/mbr-misc.raw" $((121 * MIB))
place "$(standalone vfat 16 mkfs.vfat -F 16)" "$WORK/mbr-misc.raw" $((145 * MIB))
printf 'fixture' >"$WORK/key"
luks=$(standalone luks 32 cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
    --pbkdf-force-iterations 1000 --luks2-metadata-size=16k --luks2-keyslots-size=256k \
    --key-file "$WORK/key")
# the keyslot area is random key material that does not compress: zero it (the volume no
# longer unlocks; its two LUKS2 headers, all a reader looks at, are intact)
dd if=/dev/zero of="$luks" bs=1k seek=32 count=256 conv=notrunc status=none
place "$luks" "$WORK/mbr-misc.raw" $((161 * MIB))

# the whole disk a LUKS2 volume (luksFormat writes to a plain file: no device-mapper needed)
cp "$luks" "$WORK/luks.raw"

# MBR Windows: active NTFS
truncate -s 32M "$WORK/mbr-windows.raw"
printf 'label: dos\nstart=1MiB, type=7, bootable\n' | sfdisk -q "$WORK/mbr-windows.raw"
place "$(standalone ntfs2 31 mkntfs -F -Q -s 512 -p 2048 -H 255 -S 63)" \
    "$WORK/mbr-windows.raw" $MIB

# a whole-disk ext4 file system: no partition table
truncate -s 16M "$WORK/nopart.raw"
ext4 "$WORK/nopart.raw" 0 16

# all zeros (truncate alone): a RAW disk with nothing on it
truncate -s 64M "$WORK/zero.raw"

# GPT whose EFI system partition holds no file system, and one whose ESP holds ext4
truncate -s 64M "$WORK/gpt-esp-nofs.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:0 -t 2:8300 "$WORK/gpt-esp-nofs.raw"
ext4 "$WORK/gpt-esp-nofs.raw" 17 46
truncate -s 64M "$WORK/gpt-esp-ext4.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:0 -t 2:8300 "$WORK/gpt-esp-ext4.raw"
ext4 "$WORK/gpt-esp-ext4.raw" 1 16
ext4 "$WORK/gpt-esp-ext4.raw" 17 46

# issue 17's disk: 128 MiB, GPT: a 40 MiB ESP (FAT, \EFI\BOOT\BOOTX64.EFI), 86 MiB ext4
truncate -s 128M "$WORK/gpt-uefi-128m.raw"
gpt -n 1:1M:+40M -t 1:ef00 -n 2:41M:0 -t 2:8300 "$WORK/gpt-uefi-128m.raw"
esp "$WORK/gpt-uefi-128m.raw" 1 40 BOOTX64.EFI
ext4 "$WORK/gpt-uefi-128m.raw" 41 86

# MBR + ext4, and pseudo-random bytes in the disk's last 64 KiB: the last grain of its
# stream-optimized VMDK does not compress, so qemu leaves no zero sector after it
truncate -s 16M "$WORK/mbr-noise.raw"
printf 'label: dos\nlabel-id: 0x0badcafe\nstart=1MiB, type=83, bootable\n' |
    sfdisk -q "$WORK/mbr-noise.raw"
ext4 "$WORK/mbr-noise.raw" 1 14
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(17).randbytes(65536))' |
    dd of="$WORK/mbr-noise.raw" bs=64k seek=255 conv=notrunc status=none

# 10 GiB virtual, almost empty: GPT + ESP + ext4 at the start (the bytes-read tests)
truncate -s 10G "$WORK/big.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:0 -t 2:8300 "$WORK/big.raw"
esp "$WORK/big.raw" 1 16 BOOTX64.EFI
ext4 "$WORK/big.raw" 17 32

# 100 GiB virtual: GPT, ESP and ext4 at the start, ext4 in the last 64 MiB (the read
# budget of a stream whose grain tables span 100 GiB)
truncate -s 100G "$WORK/huge.raw"
gpt -n 1:1M:+16M -t 1:ef00 -n 2:17M:+32M -t 2:8300 -n 3:-64M:0 -t 3:8300 "$WORK/huge.raw"
esp "$WORK/huge.raw" 1 16 BOOTX64.EFI
ext4 "$WORK/huge.raw" 17 32
last=$(sgdisk -i 3 "$WORK/huge.raw" | awk '/^First sector/ {print $3}')
mkfs.ext4 -q -F -E offset=$((last * 512)) "$WORK/huge.raw" 60M

# -- containers --------------------------------------------------------------------------

convert() { qemu-img convert -f raw -O "$@"; }
for base in gpt-uefi mbr-linux; do
    raw="$WORK/$base.raw"
    convert vmdk -o subformat=streamOptimized "$raw" "$WORK/$base.stream.vmdk"
    convert vmdk -o subformat=monolithicSparse "$raw" "$WORK/$base.sparse.vmdk"
    convert vpc -o subformat=dynamic "$raw" "$WORK/$base.dynamic.vhd"
    convert vhdx -o subformat=dynamic "$raw" "$WORK/$base.dynamic.vhdx"
done
raw="$WORK/gpt-uefi.raw"
convert vpc -o subformat=fixed,force_size=on "$raw" "$WORK/gpt-uefi.fixed.vhd"
convert vhdx -o subformat=fixed "$raw" "$WORK/gpt-uefi.fixed.vhdx"
convert qcow2 "$raw" "$WORK/gpt-uefi.qcow2"
convert vdi "$raw" "$WORK/gpt-uefi.vdi"
convert vmdk -o subformat=monolithicFlat "$raw" "$WORK/gpt-uefi.flat.vmdk"
(cd "$WORK" && qemu-img convert -f raw -O vmdk -o subformat=twoGbMaxExtentSparse \
    gpt-uefi.raw gpt-uefi.split.vmdk)
convert vmdk -o subformat=streamOptimized "$WORK/big.raw" "$WORK/big.stream.vmdk"
for base in gpt-uefi-128m mbr-noise huge; do
    convert vmdk -o subformat=streamOptimized "$WORK/$base.raw" "$WORK/$base.stream.vmdk"
done

# a stream-optimized VMDK cut short (a truncated upload): its last 64 KiB missing
size=$(stat -c %s "$WORK/gpt-uefi.stream.vmdk")
head -c $((size - 65536)) "$WORK/gpt-uefi.stream.vmdk" >"$WORK/gpt-uefi.stream-cut.vmdk"
# a dynamic VHD without its footer
size=$(stat -c %s "$WORK/gpt-uefi.dynamic.vhd")
head -c $((size - 512)) "$WORK/gpt-uefi.dynamic.vhd" >"$WORK/gpt-uefi.dynamic-cut.vhd"

# an OVA: the descriptor first, the manifest, the disk (tar, POSIX format)
disk="$WORK/gpt-uefi.stream.vmdk"
disk_size=$(stat -c %s "$disk")
mkdir -p "$WORK/ova"
cp "$disk" "$WORK/ova/vm-disk1.vmdk"
cat >"$WORK/ova/vm.ovf" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="vm-disk1.vmdk" ovf:id="file1" ovf:size="$disk_size"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1"
          ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="fixture-vm"><Info>A fixture VM</Info></VirtualSystem>
</Envelope>
OVF
(cd "$WORK/ova" && printf 'SHA256(vm.ovf)= %s\nSHA256(vm-disk1.vmdk)= %s\n' \
    "$(sha256sum vm.ovf | cut -d' ' -f1)" "$(sha256sum vm-disk1.vmdk | cut -d' ' -f1)" >vm.mf)
tar --format=ustar --owner=0 --group=0 --mtime=@1700000000 -C "$WORK/ova" \
    -cf "$WORK/vm.ova" vm.ovf vm.mf vm-disk1.vmdk

# -- oracles, then compress ------------------------------------------------------------------

# what qemu-img, sfdisk, blkid and mtools say of each image (IMAGE.oracle.json); for the
# stream-optimized VMDKs, whether qemu still reads their disk from copies cut short
rm -f "$OUT"/*.xz "$OUT"/*.oracle.json
scripts=$(dirname "$0")
images=("$WORK"/*.raw "$WORK"/*.vmdk "$WORK"/*.vhd "$WORK"/*.vhdx "$WORK"/*.qcow2 \
    "$WORK"/*.vdi "$WORK"/*.ova)
for file in "${images[@]}"; do
    name=$(basename "$file")
    cuts=()
    case $name in gpt-uefi-128m.stream.vmdk | mbr-noise.stream.vmdk) cuts=(--cuts) ;; esac
    python3 "$scripts/record_oracles.py" "$file" "$OUT/$name.oracle.json" "${cuts[@]}"
done
# the RAW disks of these two are not kept (100 GiB sparse; 64 KiB that do not compress)
for base in huge mbr-noise; do rm "$WORK/$base.raw" "$OUT/$base.raw.oracle.json"; done

# each image packed as its non-zero 64 KiB extents (tests rebuild a sparse file)
for file in "$WORK"/*.raw "$WORK"/*.vmdk "$WORK"/*.vhd "$WORK"/*.vhdx "$WORK"/*.qcow2 \
    "$WORK"/*.vdi "$WORK"/*.ova; do
    python3 "$scripts/pack_sparse.py" "$file" "$OUT/$(basename "$file").xz"
done
ls -l "$OUT"
du -ch "$OUT"/*.xz | tail -1
