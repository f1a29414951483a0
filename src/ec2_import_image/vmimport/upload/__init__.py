"""Uploading local disk files to S3 for ``vmimport import`` and ``vmimport batch``.

- ``disk``: ``upload_disk`` (hash, name, upload: the call per disk) and ``hash_disk``;
- ``hashing``: the SHA-256 pass (the file and each part) with progress, reused while the
  file's identity holds;
- ``keys``: ``content_key`` (``import``) and ``entry_key`` (``batch``);
- ``multipart``: ``upload_file``: look, resume, create, send, complete, verify
  (botocore directly: s3transfer cannot resume an upload id, see there);
- ``parts``: the part layout and local part checksums;
- ``slices``: the seekable file-range reader parts are streamed from;
- ``clients``: the S3 client (it computes no checksum: each part carries the hash pass's);
- ``progress``: what a person watching sees (rich bar, or one line per step);
- ``errors``: the upload's failures, one line each;
- ``results``: the worker threads' results queue, as both uploads read it.

The direct road (a virtual disk written into an EBS snapshot, no bucket):

- ``ebsdirect``: ``write_snapshot`` (start, write the missing blocks, complete, wait) and
  ``wait_for_snapshot``; resumable through ``state.SnapshotJournal``;
- ``blocks``: the block plan of a virtual disk, its blocks read in runs, the checksums;
- ``ebsclients``: the EBS, EC2 and KMS clients; ``resolve_kms_key``;
- ``ebspacing``: the outer retry policy over botocore's retries;
- ``ebserrors``: the direct road's failures.
"""
