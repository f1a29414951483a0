"""The emulator's AMIs: registration, copies, sharing, deprecation, protection, boot checks.

moto keeps an image's id, name, description, state, owner, creation date, tags
and launch permissions (``Ami``); this package keeps the rest (architecture,
boot mode, block device mappings, ENA, TPM, IMDS, UEFI data, deprecation,
deregistration protection, the source of a copy) in an ``ImageRecord``
attached to moto's object, answers the image actions itself (``api``), and
renders them with botocore's EC2 model through ``..wire``.  docs/emulator.md,
"Images", lists every rule with the page of the EC2 API reference or user
guide it follows.
"""
