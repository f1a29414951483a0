#!/usr/bin/env bash
# Build the file-system fixtures of tests/fixtures/fsread/ with real tools, then xz them.
#
# Run as root on Debian 12 (bookworm) once these packages are installed:
#   apt-get install e2fsprogs xfsprogs util-linux python3 xz-utils
# The committed fixtures were made with mke2fs/debugfs 1.47.0, mkfs.xfs/xfs_io 6.1.0 and
# util-linux 2.38.1 (mount, blkid) on Linux 6.1.
#
# One source tree, laid out like a distribution's root, goes into every image; its
# manifest (scripts/tree_manifest.py: path, type, size, sha256, link target) is committed
# beside the images as tree.jsonl, and the tests compare what the readers read with it,
# file by file.  The tree:
#   bin, lib, sbin -> usr/bin, usr/lib, usr/sbin (merged /usr); etc/os-release ->
#   ../usr/lib/os-release; etc/fstab, hostname, debian_version, an empty machine-id;
#   boot/grub/grub.cfg, boot/vmlinuz-6.1.0-13-amd64, initrd.img, System.map (fake bytes);
#   usr/lib/modules/6.1.0-13-amd64/modules.builtin and kernel/.../amazon/ena/ena.ko;
#   usr/bin/sh and usr/bin/dash (one file, two hard links; XFS's protofile makes two
#   copies); dev/console (a character device) and run/initctl (a FIFO); etc/default, six
#   small files;
#   directories of 3 (etc/alternatives), 40 (usr/share/doc), 200 (usr/share/locale) and 600
#   entries (usr/share/zoneinfo, one name of 255 bytes): ext's linear and htree directories,
#   XFS's short-form, block, leaf and node directories;
#   etc/alternatives/doc-link, a 158-byte target (ext: a slow symlink; XFS v4: a remote
#   one), and etc/alternatives/long-link, a 953-byte one through 400 "./" steps (XFS v5:
#   a remote symlink);
#   var/lib/sparse.img, 8 MiB with three pieces of data and holes between them;
#   var/lib/fragmented.bin, 2 MiB, every KiB different.
#
# mkfs.ext4 -d and mkfs.xfs -p (a protofile, written from the tree) copy the tree in; what
# they cannot make is made after them, from the same tree:
# - ext: debugfs writes one-block files, removes every other one, gives the sparse file an
#   uninitialized extent (debugfs fallocate, ext4 only) over the freed blocks (whose old
#   bytes must read as zeros), writes fragmented.bin into the gaps (one extent or run per
#   block: an extent tree of depth 1, or 2 with 1 KiB blocks), then removes the rest;
#   the kernel (a loop mount) writes etc/default (with inline_data: a directory spilling
#   from i_block into its system.data attribute, which libext2fs never writes), and
#   e2fsck -D indexes the large directories (htree: mkfs -d and debugfs leave them linear);
# - XFS (the protofile copies holes as zeros, and mkfs.xfs 6.1 writes a remote symlink
#   without its v5 header, which xfs_repair then refuses): the image is mounted (a loop
#   device), long-link and etc/default made there, the sparse file copied with its holes
#   (cp --sparse=always) and given an unwritten extent (xfs_io falloc; once unmounted, junk
#   is written into its blocks, which must still read as zeros), fragmented.bin written a
#   block at a time with direct I/O, alternating with a scratch file that is then removed
#   (a bmbt B+tree of depth 1, or 2 with 1 KiB blocks).
#
# The images (each a bare file system: the readers take a partition's bytes):
#   ext2.img         mkfs.ext2, 1 KiB blocks: block maps with double-indirect blocks
#   ext3.img         mkfs.ext3, 4 KiB blocks: journal, block maps, htree directories
#   ext4.img         mkfs.ext4's defaults (64bit, metadata_csum, flex_bg, extents)
#   ext4-small.img   mkfs.ext4 -O ^64bit,^metadata_csum,uninit_bg,meta_bg, 1 KiB blocks,
#                    256 blocks a group: 32-byte group descriptors with crc16, in meta
#                    groups of 32 (most of the tree has its inodes past group 32),
#                    extent trees of depth 2
#   ext4-inline.img  mkfs.ext4 -O inline_data: small files and directories in the inode
#   xfs.img          mkfs.xfs's defaults (v5: CRCs, ftype, sparse inodes, reflink, bigtime)
#   xfs-1k.img       mkfs.xfs -b size=1024 -n size=8192 -i nrext64=1: directory blocks of
#                    eight file-system blocks, bmbt of depth 2, 64-bit extent counters
#   xfs-v4.img       mkfs.xfs -m crc=0 -n ftype=0 (v4, deprecated but made by 6.1; the
#                    protofile alone: remote symlinks without a header, no holes)
# blkid's view of each (TYPE, UUID, LABEL, BLOCK_SIZE) goes to blkid.json, an oracle the
# readers' uuid and label are compared with.
#
# Tests never run these tools: they unpack the committed .xz files (scripts/pack_sparse.py:
# non-zero 64 KiB extents; tests/support/diskfixtures.py).  bench/fsread.py makes its own
# 40 MB images at run time with the same tools.
set -euo pipefail

OUT=${1:-tests/fixtures/fsread}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
MNT="$WORK/mnt"
cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export E2FSPROGS_FAKE_TIME=1700000000
mkdir -p "$OUT" "$MNT"

# repeat TEXT SIZE: SIZE bytes of TEXT over and over (compresses, never reads as a hole)
repeat() {
    python3 -c 'import sys; t = sys.argv[1].encode(); n = int(sys.argv[2])
sys.stdout.buffer.write((t * (n // len(t) + 1))[:n])' "$1" "$2"
}

# -- the tree ------------------------------------------------------------------------------

TREE="$WORK/tree"
mkdir -p "$TREE"/{etc/alternatives,boot/grub,usr/bin,usr/sbin,usr/lib,dev,run,var/lib,var/empty}
ln -s usr/bin "$TREE/bin"
ln -s usr/lib "$TREE/lib"
ln -s usr/sbin "$TREE/sbin"
cat >"$TREE/usr/lib/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
EOF
ln -s ../usr/lib/os-release "$TREE/etc/os-release"
cat >"$TREE/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
UUID=0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11 / ext4 errors=remount-ro 0 1
UUID=5C1A-2B3D /boot/efi vfat umask=0077 0 1
/dev/xvdb none swap sw 0 0
EOF
echo "debian" >"$TREE/etc/hostname"
echo "12.2" >"$TREE/etc/debian_version"
: >"$TREE/etc/machine-id"
KVER=6.1.0-13-amd64
cat >"$TREE/boot/grub/grub.cfg" <<EOF
set default="0"
menuentry 'Debian GNU/Linux' --class debian {
	linux	/boot/vmlinuz-$KVER root=UUID=0e6c1a5b-54d1-4b38-9d6b-2a3c5f0b7d11 ro quiet
	initrd	/boot/initrd.img-$KVER
}
EOF
printf 'fake kernel %s\n' "$KVER" >"$TREE/boot/vmlinuz-$KVER"
repeat "initramfs $KVER " 70000 >"$TREE/boot/initrd.img-$KVER"
repeat "ffffffff81000000 T _text " 30000 >"$TREE/boot/System.map-$KVER"
MODULES="$TREE/usr/lib/modules/$KVER"
mkdir -p "$MODULES/kernel/drivers/net/ethernet/amazon/ena"
printf 'kernel/drivers/nvme/host/nvme-core.ko\nkernel/drivers/nvme/host/nvme.ko\n' \
    >"$MODULES/modules.builtin"
printf '\177ELF placeholder for ena.ko\n' >"$MODULES/kernel/drivers/net/ethernet/amazon/ena/ena.ko"
printf '#!/bin/dash\n' >"$TREE/usr/bin/dash"
ln "$TREE/usr/bin/dash" "$TREE/usr/bin/sh"
printf '#!/sbin/init\n' >"$TREE/usr/sbin/init"
mkdir "$TREE/etc/default"
for name in grub locale keyboard console-setup networking rsync; do
    printf '# %s\n' "$name" >"$TREE/etc/default/$name"
done
mknod "$TREE/dev/console" c 5 1
mkfifo "$TREE/run/initctl"
printf 'editor\n' >"$TREE/etc/alternatives/README"
# directories of 40, 200 and 600 entries, names of several lengths, one of 255 bytes
mkdir -p "$TREE/usr/share/doc" "$TREE/usr/share/locale" "$TREE/usr/share/zoneinfo"
for i in $(seq 0 38); do printf 'doc %d\n' "$i" >"$TREE/usr/share/doc/package-$i.txt"; done
printf 'caf\xc3\xa9\n' >"$TREE/usr/share/doc/café.txt"
for i in $(seq 0 199); do printf 'locale %d\n' "$i" >"$TREE/usr/share/locale/l$i.mo"; done
for i in $(seq 0 598); do
    printf 'zone %d\n' "$i" >"$TREE/usr/share/zoneinfo/zone-$i-$(printf '%*s' $((i % 37)) '' | tr ' ' z)"
done
: >"$TREE/usr/share/zoneinfo/$(printf '%0255d' 0)"
# a deep directory a 200-byte link points into, and a 1000-byte link through "./" steps
DEEP="usr/share/doc/deep/a-directory-name-that-goes-on-for-a-while/and-another-one-like-it/and-more"
mkdir -p "$TREE/$DEEP/and-a-third-one-to-make-the-target-of-the-link-long"
printf 'the end of a long link\n' >"$TREE/$DEEP/and-a-third-one-to-make-the-target-of-the-link-long/README"
ln -s "../../$DEEP/and-a-third-one-to-make-the-target-of-the-link-long/README" \
    "$TREE/etc/alternatives/doc-link"
ln -s "/$DEEP/$(printf './%.0s' $(seq 400))and-a-third-one-to-make-the-target-of-the-link-long/README" \
    "$TREE/etc/alternatives/long-link"
# sparse: data at 0, at 3,000,000 and at the end, holes between
SPARSE="$TREE/var/lib/sparse.img"
repeat "head of a sparse file " 4096 >"$SPARSE"
truncate -s 8M "$SPARSE"
repeat "middle " 100 | dd of="$SPARSE" bs=1 seek=3000000 conv=notrunc status=none
printf 'the tail.\n' | dd of="$SPARSE" bs=1 seek=$((8 * 1024 * 1024 - 10)) conv=notrunc status=none
# fragmented: every KiB different ("[000000]" ... repeated)
python3 -c 'import sys
sys.stdout.buffer.write(b"".join((b"[%06d]" % k) * 128 for k in range(2048)))' \
    >"$TREE/var/lib/fragmented.bin"
python3 "$HERE/tree_manifest.py" "$TREE" "$OUT/tree.jsonl"

# what mkfs copies in: the tree without what is made after mkfs
STAGE="$WORK/stage"
cp -a "$TREE" "$STAGE"
rm -r "$STAGE/var/lib/fragmented.bin" "$STAGE/etc/default"
repeat "junk freed before the tools allocate " $((1024 * 1024)) >"$WORK/junk"

# -- ext2/3/4: mkfs -d, then debugfs -------------------------------------------------------

# ext IMAGE BLOCK_SIZE UNINIT MKFS_ARGS...: the tree in an ext file system of 64 MiB
ext() {
    local image=$1 block=$2 uninit=$3
    shift 3
    local blocks=$((2 * 1024 * 1024 / block)) cmds="$WORK/debugfs.cmds" i
    truncate -s 64M "$image"
    "$@" -q -F -b "$block" -d "$STAGE" "$image"
    head -c "$block" "$WORK/junk" >"$WORK/junk-block"
    {
        echo "mkdir /gaps"
        echo "cd /gaps"
        for i in $(seq 0 $((2 * blocks + 64))); do echo "write $WORK/junk-block g$i"; done
        for i in $(seq 1 2 $((2 * blocks + 64))); do echo "rm g$i"; done
        if [ "$uninit" = uninit ]; then
            echo "fallocate /var/lib/sparse.img $((1024 * 1024 / block)) $((1024 * 1024 / block + 7))"
        fi
        echo "cd /var/lib"
        echo "write $TREE/var/lib/fragmented.bin fragmented.bin"
        echo "cd /gaps"
        for i in $(seq 0 2 $((2 * blocks + 64))); do echo "rm g$i"; done
        echo "cd /"
        echo "rmdir /gaps"
    } >"$cmds"
    debugfs -w -f "$cmds" "$image" >/dev/null 2>&1
    # the kernel writes etc/default (with inline_data: a directory spilling from i_block
    # into its system.data attribute, which libext2fs never does)
    mount -o loop "$image" "$MNT"
    cp -a "$TREE/etc/default" "$MNT/etc/default"
    umount "$MNT"
    # mkfs -d and debugfs leave directories linear: e2fsck -D indexes the large ones (htree)
    e2fsck -fyD "$image" >/dev/null 2>&1 || [ $? -le 1 ]
    e2fsck -fn "$image" >/dev/null 2>&1
}

UUID_BASE=6a1f5a3c-3e6b-4c1e-9b2d-7c4e1a0f00
ext "$WORK/ext2.img" 1024 no mkfs.ext2 -L ext2root -U "${UUID_BASE}02" -I 128
ext "$WORK/ext3.img" 4096 no mkfs.ext3 -L ext3root -U "${UUID_BASE}03"
ext "$WORK/ext4.img" 4096 uninit mkfs.ext4 -L ext4root -U "${UUID_BASE}04"
ext "$WORK/ext4-small.img" 1024 uninit mkfs.ext4 -L small -U "${UUID_BASE}05" \
    -O ^64bit,^metadata_csum,uninit_bg,meta_bg,^resize_inode -g 256 -N 6144
ext "$WORK/ext4-inline.img" 4096 uninit mkfs.ext4 -L inline -U "${UUID_BASE}06" -O inline_data \
    -I 512

# -- XFS: a protofile, then a mount for holes, unwritten extents and fragments ------------

# protofile SOURCE: mkfs.xfs's description of a tree (man mkfs.xfs, -p)
protofile() {
    python3 - "$1" <<'PY'
import os, stat, sys

def entry(path, name, depth):
    info = os.lstat(path)
    mode = "%03o" % stat.S_IMODE(info.st_mode)
    pad = "  " * depth
    if stat.S_ISDIR(info.st_mode):
        print(f"{pad}{name} d--{mode} 0 0")
        for child in sorted(os.listdir(path)):
            entry(os.path.join(path, child), child, depth + 1)
        print(f"{pad}$")
    elif stat.S_ISLNK(info.st_mode):
        print(f"{pad}{name} l--{mode} 0 0 {os.readlink(path)}")
    elif stat.S_ISREG(info.st_mode):
        print(f"{pad}{name} ---{mode} 0 0 {path}")
    elif stat.S_ISCHR(info.st_mode):
        dev = info.st_rdev
        print(f"{pad}{name} c--{mode} 0 0 {os.major(dev)} {os.minor(dev)}")
    elif stat.S_ISFIFO(info.st_mode):
        print(f"{pad}{name} p--{mode} 0 0")

root = sys.argv[1]
print("fixture\n0 0\nd--755 0 0")
for child in sorted(os.listdir(root)):
    entry(os.path.join(root, child), child, 1)
print("$")
PY
}

# xfs IMAGE BLOCK_SIZE HOW MKFS_ARGS...: the tree in an XFS file system of 300 MiB (the
# minimum); HOW is "mount" (the protofile, then the mount step) or "proto" (the protofile
# alone: this kernel mounts no v4 file system, so the v4 image has no holes or fragments)
xfs() {
    local image=$1 block=$2 how=$3 cmds="$WORK/xfs_io.cmds" i
    shift 3
    local blocks=$((2 * 1024 * 1024 / block))
    truncate -s 300M "$image"
    if [ "$how" = proto ]; then
        protofile "$TREE" >"$WORK/proto"
        "$@" -q -f -b size="$block" -p "$WORK/proto" "$image"
        xfs_repair -n "$image" >/dev/null 2>&1
        return
    fi
    protofile "$STAGE" | grep -v '^ *\(sparse.img\|long-link\) ' >"$WORK/proto"
    "$@" -q -f -b size="$block" -p "$WORK/proto" "$image"
    mount -o loop "$image" "$MNT"
    cp --sparse=always "$TREE/var/lib/sparse.img" "$MNT/var/lib/sparse.img"
    cp -P "$TREE/etc/alternatives/long-link" "$MNT/etc/alternatives/long-link"
    cp -a "$TREE/etc/default" "$MNT/etc/default"
    xfs_io -c "falloc 1048576 32768" "$MNT/var/lib/sparse.img"
    # where the unwritten extents are (fiemap: 512-byte sectors of the device, flag 0x800)
    xfs_io -c "fiemap -v" "$MNT/var/lib/sparse.img" | python3 -c 'import sys
for line in sys.stdin:
    fields = line.split()
    if len(fields) == 5 and fields[4].startswith("0x") and int(fields[4], 16) & 0x800:
        start, end = fields[2].split("..")
        print(start, int(end) - int(start) + 1)' >"$WORK/unwritten"
    {
        echo "open -d -f $MNT/var/lib/fragmented.bin"
        echo "open -d -f $MNT/var/lib/scratch"
        for i in $(seq 0 $((blocks - 1))); do
            echo "file 0"
            echo "pwrite -q -i $TREE/var/lib/fragmented.bin -s $((i * block)) $((i * block)) $block"
            echo "file 1"
            echo "pwrite -q -i $WORK/junk -s 0 $((i * block)) $block"
        done
    } >"$cmds"
    xfs_io <"$cmds" >/dev/null
    rm "$MNT/var/lib/scratch"
    chmod 644 "$MNT/var/lib/fragmented.bin" "$MNT/var/lib/sparse.img"
    umount "$MNT"
    # old bytes under the unwritten extents, which a reader must not return as the file's
    local start count
    while read -r start count; do
        head -c $((count * 512)) "$WORK/junk" |
            dd of="$image" bs=512 seek="$start" conv=notrunc status=none
    done <"$WORK/unwritten"
    xfs_repair -n "$image" >/dev/null 2>&1
}

xfs "$WORK/xfs.img" 4096 mount mkfs.xfs -L xfsroot -m uuid="${UUID_BASE}11"
xfs "$WORK/xfs-1k.img" 1024 mount mkfs.xfs -L xfs1k -m uuid="${UUID_BASE}12" -n size=8192 \
    -i nrext64=1
xfs "$WORK/xfs-v4.img" 4096 proto mkfs.xfs -L xfsv4 -m crc=0,uuid="${UUID_BASE}13" -n ftype=0

# -- blkid's view, then compress ------------------------------------------------------------

python3 - "$WORK" "$OUT/blkid.json" <<'PY'
import json, subprocess, sys
from pathlib import Path

views = {}
for image in sorted(Path(sys.argv[1]).glob("*.img")):
    out = subprocess.run(["blkid", "-p", "-o", "export", str(image)], check=True,
                         capture_output=True, text=True).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    views[image.name] = {key: fields.get(key) for key in ("TYPE", "UUID", "LABEL", "BLOCK_SIZE")}
Path(sys.argv[2]).write_text(json.dumps(views, indent=2, sort_keys=True) + "\n")
PY

rm -f "$OUT"/*.xz
for file in "$WORK"/*.img; do
    python3 "$HERE/pack_sparse.py" "$file" "$OUT/$(basename "$file").xz"
done
ls -l "$OUT"
du -ch "$OUT"/*.xz | tail -1
