"""Read-only readers of the file systems found inside disk images (shared).

Each reader (``ext``, ``xfs``, ``btrfs``, ``ntfs``) implements the few
primitives of ``tree.Volume`` over a ``diskimage.blob.Blob`` (a partition or a
logical volume); ``tree.Tree`` builds paths on them: look up a path with its
symbolic links resolved inside the image, list a directory, read a file, each
read bounded.  Malformed structures raise ``diskimage.errors.FormatError``.
"""
