"""botocore's whole EC2 service model, read once, as the wire layer's ``Model``.

The three ImportImage-family actions keep the drop-in's pinned three-operation
model (``ec2_import_image/model/data/``: their replies are recorded byte
for byte).  The actions added since (ImportSnapshot, DescribeImportSnapshotTasks,
and the image actions of ``images/``, which need dozens of shapes: ``Image``,
``BlockDeviceMapping``, ``LaunchPermission``...) take their shapes from the EC2
model of the botocore installed with moto, read through botocore's loader the
first time one is asked for (the emulator reads it at start-up, ``warm``), so
their requests are parsed and their replies rendered exactly as botocore
serializes and parses them, member for member.
"""

from __future__ import annotations

from functools import cache

from ec2_import_image.model.shapes import Model


@cache
def ec2_model() -> Model:
    from botocore.loaders import Loader

    return Model(Loader().load_service_model("ec2", "service-2"))


def warm() -> None:
    """Read the model now (a few hundred milliseconds), not during the first request."""
    ec2_model()
