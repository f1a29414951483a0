"""Reading the operating system inside a disk image, and judging it for each road (shared).

Below the file-system readers of ``fsread``: what the guest's own files say.  Each module
reads one kind of thing from bytes, bounded, malformed input refused with
``diskimage.errors.FormatError``: ``registry`` Windows registry hives, ``windows`` the
version and driver facts in the SOFTWARE and SYSTEM hives, ``initramfs`` the file list of a
Linux initramfs (concatenated, compressed cpio archives); ``locate`` the volumes and the
system among them, ``release``, ``fstab``, ``grubcfg``, ``bls``, ``menulst``,
``bootloader``, ``network``, ``drivers`` and ``linux`` a Linux root's facts, ``read`` the
entry point (``read_os``) into an ``osreport.OsReport``.  ``rules`` holds what the
requirements page says ImportImage takes, and ``judge`` (pure) turns a report into problems
for each road to an AMI and picks the road.
"""
