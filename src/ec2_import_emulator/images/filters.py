"""DescribeImages' filters, matched against an image as the API shows it.

Every filter the EC2 API reference lists for DescribeImages is answered from
the image's view (``view.image_view``); values take EC2's ``*`` and ``?``
wildcards (and nothing else: ``[`` is a character of AMI names, matched by the
shared ``iampolicy.wildcard`` matcher); a filter with several values matches
any, several filters must all match.  A name the reference does not list is
refused (InvalidParameterValue, as ``..errors.invalid_filter``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_image.iampolicy.truth import Truth
from ec2_import_image.iampolicy.wildcard import match

View = Mapping[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _mappings(key: str) -> Callable[[View], list[Any]]:
    def values(image: View) -> list[Any]:
        found = []
        for mapping in image.get("BlockDeviceMappings", []):
            if key == "DeviceName":
                found.append(mapping.get("DeviceName"))
            elif key in mapping.get("Ebs", {}):
                found.append(mapping["Ebs"][key])
        return found

    return values


def _field(key: str) -> Callable[[View], list[Any]]:
    return lambda image: [image[key]] if key in image else []


def _state_reason(key: str) -> Callable[[View], list[Any]]:
    return lambda image: [image["StateReason"][key]] if "StateReason" in image else []


FILTERS: dict[str, Callable[[View], list[Any]]] = {
    "architecture": _field("Architecture"),
    "block-device-mapping.delete-on-termination": _mappings("DeleteOnTermination"),
    "block-device-mapping.device-name": _mappings("DeviceName"),
    "block-device-mapping.snapshot-id": _mappings("SnapshotId"),
    "block-device-mapping.volume-size": _mappings("VolumeSize"),
    "block-device-mapping.volume-type": _mappings("VolumeType"),
    "block-device-mapping.encrypted": _mappings("Encrypted"),
    "boot-mode": _field("BootMode"),
    "creation-date": _field("CreationDate"),
    "description": _field("Description"),
    "ena-support": _field("EnaSupport"),
    "free-tier-eligible": lambda image: [False],
    "hypervisor": _field("Hypervisor"),
    "image-allowed": lambda image: [True],
    "image-id": _field("ImageId"),
    "image-type": _field("ImageType"),
    "is-public": _field("Public"),
    "kernel-id": _field("KernelId"),
    "manifest-location": _field("ImageLocation"),
    "name": _field("Name"),
    "owner-alias": _field("ImageOwnerAlias"),
    "owner-id": _field("OwnerId"),
    "platform": _field("Platform"),
    "product-code": lambda image: [c["ProductCodeId"] for c in image.get("ProductCodes", [])],
    "product-code.type": lambda image: [
        c["ProductCodeType"] for c in image.get("ProductCodes", [])
    ],
    "ramdisk-id": _field("RamdiskId"),
    "root-device-name": _field("RootDeviceName"),
    "root-device-type": _field("RootDeviceType"),
    "source-image-id": _field("SourceImageId"),
    "source-image-region": _field("SourceImageRegion"),
    "source-instance-id": _field("SourceInstanceId"),
    "state": _field("State"),
    "state-reason-code": _state_reason("Code"),
    "state-reason-message": _state_reason("Message"),
    "sriov-net-support": _field("SriovNetSupport"),
    "tag-key": lambda image: [t["Key"] for t in image.get("Tags", [])],
    "virtualization-type": _field("VirtualizationType"),
}
TAG_PREFIX = "tag:"


class ImageFilter:
    def __init__(self, name: str, values: Sequence[str]) -> None:
        if name.startswith(TAG_PREFIX) and len(name) > len(TAG_PREFIX):
            key = name[len(TAG_PREFIX) :]
            self._values: Callable[[View], list[Any]] = lambda image: [
                t["Value"] for t in image.get("Tags", []) if t["Key"] == key
            ]
        elif name in FILTERS:
            self._values = FILTERS[name]
        else:
            raise common.invalid_filter(name)
        self._patterns = tuple(values)

    def matches(self, image: View) -> bool:
        return any(
            match(pattern, _text(value)) is Truth.TRUE
            for value in self._values(image)
            for pattern in self._patterns
        )


def parse(filters: Sequence[Mapping[str, Any]]) -> list[ImageFilter]:
    return [ImageFilter(str(f.get("Name", "")), list(f.get("Values", []))) for f in filters]
