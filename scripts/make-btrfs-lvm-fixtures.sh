#!/usr/bin/env bash
# Build the Btrfs and LVM2 fixtures of tests/fixtures/btrfs-lvm/ with real tools and the
# kernel, then pack them (scripts/pack_sparse.py: non-zero extents, xz).
#
# Run as root on Debian 12 (bookworm) with a kernel that has btrfs and loop devices:
#   apt-get install btrfs-progs lvm2 util-linux e2fsprogs xz-utils
# The committed fixtures were made with btrfs-progs 6.2, the kernel 6.18's btrfs (mounted
# through loop devices: subvolumes, snapshots, compress=zstd/lzo/zlib, fallocate), LVM
# 2.03.16 and mke2fs 1.47.0.
#
# Btrfs: mkfs.btrfs 6.2 has --rootdir but neither --subvol nor --compress, so the
# subvolume and compression fixtures are made by mounting the image (mount -o loop works
# where this was run) and writing through the kernel; the checksum/profile variants are
# made by mkfs.btrfs --rootdir alone.  Every image gets a manifest made by walking the
# mounted file system (the kernel's view: path, type, size, SHA-256, link target), checked
# against the source trees given to the tools, and the tools' own records: `btrfs subvolume
# list`, `get-default`, blkid, and the EXTENT_DATA items of `btrfs inspect-internal
# dump-tree` (the extents' types and compression).
#
# LVM2: this kernel has no device-mapper, so LVM cannot activate anything; with
# `--config 'global { activation = 0 }'` pvcreate, vgcreate, lvcreate, lvextend, vgchange
# write their metadata to loop devices all the same.  The logical volumes' contents
# (ext4 images made by mkfs.ext4 -d) are written with dd where `lvs` says their extents
# are (seg_pe_ranges), and `pvs`/`vgs`/`lvs --reportformat json` and `pvck --dump
# metadata` are recorded beside the images.  Segment types lvcreate cannot make without
# device-mapper (thin pools, raid...) are written by vgcfgrestore from a metadata text laid
# out by LVM2's documented text format (see the lvm section below).
#
# Tests never run these tools: they read the committed files.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../tests/fixtures/btrfs-lvm}
WORK=$(mktemp -d)
TOOLS="python3 $HERE/btrfs_lvm_fixtures.py"
LOOPS=()
MOUNTS=()
LOOP=""

cleanup() {
    for mounted in "${MOUNTS[@]}"; do umount "$mounted" 2>/dev/null || true; done
    for device in "${LOOPS[@]}"; do losetup -d "$device" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# attach FILE: a loop device for FILE in $LOOP (remembered for the clean-up)
attach() {
    LOOP=$(losetup -f --show "$1")
    LOOPS+=("$LOOP")
}
# detach DEVICE: only a device this script attached
detach() {
    losetup -d "$1"
    local kept=() device
    for device in "${LOOPS[@]}"; do [[ $device == "$1" ]] || kept+=("$device"); done
    LOOPS=("${kept[@]+"${kept[@]}"}")
}
mount_at() { # mount_at DEVICE DIR OPTIONS
    mkdir -p "$2"
    mount -t btrfs -o "$3" "$1" "$2"
    MOUNTS+=("$2")
}
unmount() {
    umount "$1"
    local kept=() mounted
    for mounted in "${MOUNTS[@]}"; do [[ $mounted == "$1" ]] || kept+=("$mounted"); done
    MOUNTS=("${kept[@]+"${kept[@]}"}")
}
same_tree() { # same_tree A B: the two trees' manifests are equal, or the recipe fails
    $TOOLS manifest "$1" >"$WORK/a.json"
    $TOOLS manifest "$2" >"$WORK/b.json"
    cmp -s "$WORK/a.json" "$WORK/b.json" || { echo "kernel view differs: $1 $2" >&2; exit 1; }
}
# records IMAGE DEVICE NAME MOUNTPOINT: the manifest and the tools' records of a mounted image
records() {
    local name=$3 mnt=$4
    $TOOLS manifest "$mnt" --inodes >"$OUT/$name.manifest.json"
    btrfs subvolume list -p -u "$mnt" | $TOOLS subvolumes >"$OUT/$name.subvolumes.json"
    btrfs subvolume get-default "$mnt" >"$OUT/$name.default.txt"
}
extents() { # extents DEVICE NAME TREE_IDS...: dump-tree's EXTENT_DATA items per tree
    local device=$1 name=$2 tree dumps=()
    shift 2
    for tree in "$@"; do
        btrfs inspect-internal dump-tree -t "$tree" "$device" >"$WORK/dump-$tree.txt"
        dumps+=("$tree=$WORK/dump-$tree.txt")
    done
    $TOOLS extents "${dumps[@]}" >"$OUT/$name.extents.json"
}
blkid_of() { blkid -p -o export "$1" | grep -E '^(TYPE|UUID|LABEL)=' >"$OUT/$2.blkid.txt"; }

mkdir -p "$OUT"
rm -f "$OUT"/*

# -- btrfs: a Fedora-like disk: subvolumes root and home, compression, a snapshot ---------

UUID=5b3e5f0e-6d1c-4c1f-9a5e-0a7f3c2d1e01
image="$WORK/btrfs-fedora.raw"
truncate -s 400M "$image"
mkfs.btrfs -q -f -L fedora -U "$UUID" "$image" >/dev/null
$TOOLS tree fedora-root "$WORK/src/root" "$UUID"
$TOOLS tree fedora-home "$WORK/src/home"
attach "$image"
mnt="$WORK/mnt"
mount_at "$LOOP" "$mnt" compress=no
btrfs -q subvolume create "$mnt/root"
btrfs -q subvolume create "$mnt/home"
cp -a --sparse=always "$WORK/src/home/." "$mnt/home/"
cp -a --sparse=always "$WORK/src/root/." "$mnt/root/"
# Fedora's nested subvolume (systemd-nspawn's machines)
btrfs -q subvolume create "$mnt/root/var/lib/machines"
echo "inside a nested subvolume" >"$mnt/root/var/lib/machines/README"
mkdir -p "$WORK/src/root/var/lib/machines"
echo "inside a nested subvolume" >"$WORK/src/root/var/lib/machines/README"
# preallocated (unwritten) extents around a written one
prealloc=var/lib/prealloc.img
rm "$mnt/root/$prealloc"
fallocate -l "$(stat -c %s "$WORK/src/root/$prealloc")" "$mnt/root/$prealloc"
dd if="$WORK/src/root/$prealloc" of="$mnt/root/$prealloc" bs=4096 skip=16 seek=16 count=2 \
    conv=notrunc status=none
sync
# a read-only snapshot of root before the compressed files (the nested subvolume shows
# in it as an empty directory)
mkdir "$mnt/snapshots"
btrfs -q subvolume snapshot -r "$mnt/root" "$mnt/snapshots/root-1"
# compressed files: each written, then flushed, under its compress= option
compress_dir=usr/share/doc/compress
mkdir -p "$mnt/root/$compress_dir"
for algorithm in zstd lzo zlib; do
    mount -o "remount,compress=$algorithm" "$mnt"
    $TOOLS tree "$algorithm" "$WORK/src/root/$compress_dir"
    cp "$WORK/src/root/$compress_dir/$algorithm.log" "$WORK/src/root/$compress_dir/$algorithm-inline.txt" \
        "$mnt/root/$compress_dir/"
    sync
    # 4 KiB rewritten inside the first compressed extent: the extent is then referenced
    # twice, around the new block, with an offset into its decompressed bytes
    head -c 4096 /dev/urandom >"$WORK/patch"
    for copy in "$WORK/src/root" "$mnt/root"; do
        dd if="$WORK/patch" of="$copy/$compress_dir/$algorithm.log" bs=4096 seek=16 \
            conv=notrunc status=none
    done
    sync
done
# one file, two compressions: its first half zstd, its second half lzo
mixed="$WORK/src/root/$compress_dir/mixed.log"
half=$((160 * 1024))
{
    head -c "$half" "$WORK/src/root/$compress_dir/zlib.log"
    head -c "$half" "$WORK/src/root/$compress_dir/zstd.log"
} >"$mixed"
mount -o remount,compress=zstd "$mnt"
head -c "$half" "$mixed" >"$mnt/root/$compress_dir/mixed.log"
sync
mount -o remount,compress=lzo "$mnt"
tail -c +"$((half + 1))" "$mixed" >>"$mnt/root/$compress_dir/mixed.log"
sync
unmount "$mnt"
# the kernel's view, mounted afresh, against the source trees
mount_at "$LOOP" "$mnt" ro
same_tree "$WORK/src/root" "$mnt/root"
same_tree "$WORK/src/home" "$mnt/home"
records "$image" "$LOOP" btrfs-fedora "$mnt"
# the hash collision really shares one DIR_ITEM
collide_ino=$(stat -c %i "$mnt/root/usr/share/collide")
unmount "$mnt"
btrfs inspect-internal dump-tree -t 256 "$LOOP" | $TOOLS dir-items "$collide_ino" \
    | python3 -c 'import json,sys; assert any(len(g) == 2 for g in json.load(sys.stdin))'
extents "$LOOP" btrfs-fedora 5 256 257 258 259
blkid_of "$LOOP" btrfs-fedora
detach "$LOOP"

# -- btrfs: an openSUSE-like layout: @, @/home, @/.snapshots/1/snapshot as the default,
#    made without no-holes (explicit hole extents) -------------------------------------

UUID=7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e02
image="$WORK/btrfs-opensuse.raw"
truncate -s 300M "$image"
mkfs.btrfs -q -f -L suse -U "$UUID" -O ^no-holes "$image" >/dev/null
$TOOLS tree opensuse "$WORK/src/suse" "$UUID"
attach "$image"
mount_at "$LOOP" "$mnt" compress=no
btrfs -q subvolume create "$mnt/@"
btrfs -q subvolume create "$mnt/@/home"
btrfs -q subvolume create "$mnt/@/.snapshots"
mkdir "$mnt/@/.snapshots/1"
btrfs -q subvolume create "$mnt/@/.snapshots/1/snapshot"
cp -a --sparse=always "$WORK/src/suse/." "$mnt/@/.snapshots/1/snapshot/"
echo "<snapshot><num>1</num></snapshot>" >"$mnt/@/.snapshots/1/info.xml"
mkdir "$mnt/@/home/user"
echo "openSUSE home" >"$mnt/@/home/user/README"
btrfs subvolume set-default "$mnt/@/.snapshots/1/snapshot"
sync
unmount "$mnt"
mount_at "$LOOP" "$mnt" ro,subvolid=5
same_tree "$WORK/src/suse" "$mnt/@/.snapshots/1/snapshot"
records "$image" "$LOOP" btrfs-opensuse "$mnt"
unmount "$mnt"
extents "$LOOP" btrfs-opensuse 5 256 257 258 259
blkid_of "$LOOP" btrfs-opensuse
detach "$LOOP"

# -- btrfs: mkfs.btrfs --rootdir alone: other checksums, node sizes, profiles -------------

UUID=9e8d7c6b-5a49-4382-9170-a1b2c3d4e503
$TOOLS tree small "$WORK/src/small" "$UUID"
$TOOLS manifest "$WORK/src/small" >"$OUT/btrfs-small.manifest.json"
# xxhash64 checksums, 4 KiB nodes (deeper trees), no no-holes, single metadata
# sha256 checksums, mixed data and metadata block groups
# blake2b checksums, DUP data
for variant in "xxhash:-n 4096 -O ^no-holes -m single" "sha256:-M" "blake2:-d dup" \
    "crc32c:-n 65536"; do
    csum=${variant%%:*}
    options=${variant#*:}
    image="$WORK/btrfs-small-$csum.raw"
    truncate -s 256M "$image"
    # shellcheck disable=SC2086
    mkfs.btrfs -q -f -L "small-$csum" -U "$UUID" --csum "$csum" $options \
        --rootdir "$WORK/src/small" "$image" >/dev/null
    attach "$image"
    extents "$LOOP" "btrfs-small-$csum" 5
    blkid_of "$LOOP" "btrfs-small-$csum"
    detach "$LOOP"
done

# -- btrfs: one device of a two-device RAID1 (refused: it spans 2 devices) ---------------

truncate -s 200M "$WORK/btrfs-raid1-a.raw" "$WORK/btrfs-raid1-b.raw"
mkfs.btrfs -q -f -U 1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a04 -d raid1 -m raid1 \
    "$WORK/btrfs-raid1-a.raw" "$WORK/btrfs-raid1-b.raw" >/dev/null
rm "$WORK/btrfs-raid1-b.raw"

# -- btrfs: the bench's disk: a 40 MiB file per compression (bench/fsread_btrfs.py) ------

image="$WORK/btrfs-bench.raw"
truncate -s 512M "$image"
mkfs.btrfs -q -f -L bench -U 2a3b4c5d-6e7f-4081-9223-a4b5c6d7e805 "$image" >/dev/null
$TOOLS tree bench "$WORK/src/bench"
attach "$image"
mount_at "$LOOP" "$mnt" compress=no
for algorithm in zstd lzo zlib; do
    mount -o "remount,compress=$algorithm" "$mnt"
    cp "$WORK/src/bench/big.bin" "$mnt/$algorithm.bin"
    sync
done
unmount "$mnt"
sha256sum "$WORK/src/bench/big.bin" | cut -d' ' -f1 >"$OUT/btrfs-bench.sha256"
detach "$LOOP"

# -- pack ------------------------------------------------------------------------------------

for file in "$WORK"/*.raw; do
    python3 "$HERE/pack_sparse.py" "$file" "$OUT/$(basename "$file").xz"
done
ls -l "$OUT"
du -ch "$OUT"/*.xz | tail -1
