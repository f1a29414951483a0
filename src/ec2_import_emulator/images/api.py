"""The image actions: a request in (parsed with botocore's EC2 model), EC2's XML reply out.

One request at a time (the store's lock), as the VM Import actions are served.
DeleteSnapshot is only checked here (a snapshot a registered AMI uses is
refused); otherwise moto answers it, as it answers every action not listed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator import wire
from ec2_import_emulator.api import Call, Reply
from ec2_import_emulator.ec2model import ec2_model
from ec2_import_emulator.images import (
    attributes,
    copies,
    describe,
    references,
    register,
    retirement,
)
from ec2_import_emulator.images.store import ImageStore

LOG = logging.getLogger("ec2_import_emulator")

Handler = Callable[[dict[str, Any], Call], dict[str, Any] | None]
DELETE_SNAPSHOT = "DeleteSnapshot"


class ImageApi:
    def __init__(self, store: ImageStore) -> None:
        self.store = store
        now = self._now
        self.handlers: dict[str, Handler] = {
            "RegisterImage": lambda p, c: register.register(p, c.account, c.region, now()),
            "DescribeImages": lambda p, c: describe.describe_images(p, c.account, c.region, now()),
            "DescribeImageAttribute": lambda p, c: describe.describe_attribute(
                p, c.account, c.region, now()
            ),
            "ModifyImageAttribute": lambda p, c: attributes.modify_image(
                p, c.account, c.region, now()
            ),
            "ResetImageAttribute": lambda p, c: attributes.reset_image(p, c.account, c.region),
            "CopyImage": lambda p, c: copies.copy(p, c.account, c.region, self.store),
            "DeregisterImage": lambda p, c: retirement.deregister(p, c.account, c.region, now()),
            "EnableImageDeprecation": lambda p, c: retirement.enable_deprecation(
                p, c.account, c.region, now()
            ),
            "DisableImageDeprecation": lambda p, c: retirement.disable_deprecation(
                p, c.account, c.region
            ),
            "EnableImageDeregistrationProtection": lambda p, c: retirement.enable_protection(
                p, c.account, c.region
            ),
            "DisableImageDeregistrationProtection": lambda p, c: retirement.disable_protection(
                p, c.account, c.region, now()
            ),
            "DescribeImageReferences": lambda p, c: references.describe_references(
                p, c.account, c.region
            ),
            "ModifySnapshotAttribute": lambda p, c: attributes.modify_snapshot(
                p, c.account, c.region
            ),
            "ResetSnapshotAttribute": lambda p, c: attributes.reset_snapshot(
                p, c.account, c.region
            ),
            DELETE_SNAPSHOT: self._delete_snapshot,
        }

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.handlers)

    def _now(self) -> Any:
        return self.store.clock.now()

    @staticmethod
    def _delete_snapshot(params: dict[str, Any], call: Call) -> None:
        retirement.check_snapshot_free(params, call.region)

    def handle(self, call: Call) -> Reply | None:
        """The reply, or None when moto answers the request."""
        model = ec2_model()
        try:
            with self.store.exclusive():
                self.store.advance()
                params = wire.parse_request(call.action, call.form, model)
                if params.get("DryRun"):
                    raise common.dry_run()
                result = self.handlers[call.action](params, call)
        except common.ApiError as error:
            return Reply(error.status, wire.render_error(error, call.request_id))
        except Exception:
            LOG.exception("%s failed", call.action)
            internal = common.internal_error()
            return Reply(internal.status, wire.render_error(internal, call.request_id))
        if result is None:
            return None
        return Reply(200, wire.render_result(call.action, result, call.request_id, model))
