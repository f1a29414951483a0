"""botocore's whole EC2 service model, read once, as the wire layer's ``Model``.

The VM Import actions use the project's pinned three-operation model; the image
actions need dozens of shapes (``Image``, ``BlockDeviceMapping``,
``LaunchPermission``...), so their requests are parsed and their replies
rendered with the EC2 model botocore ships (the replies are then exactly the
shape botocore parses, member for member).
"""

from __future__ import annotations

from functools import cache

from ec2_import_image.model.shapes import Model


@cache
def ec2_model() -> Model:
    from botocore.loaders import Loader

    return Model(Loader().load_service_model("ec2", "service-2"))
