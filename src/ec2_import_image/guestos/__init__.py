"""Reading the operating system inside a disk image (shared).

Below the file-system readers of ``fsread``: what the guest's own files say.  Each module
reads one kind of thing from bytes, bounded, malformed input refused with
``diskimage.errors.FormatError``: ``registry`` Windows registry hives, ``windows`` the
version and driver facts in the SOFTWARE and SYSTEM hives, ``initramfs`` the file list of a
Linux initramfs (concatenated, compressed cpio archives).  Nothing here judges what it reads;
the checks do.
"""
