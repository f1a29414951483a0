"""The valid values of an option or of a member inside one.

Three sources, in this order:

1. the model's enums (``BootModeValues``, ``ResourceType``);
2. the values a member's documentation lists in a ``Valid values: <code>a</code>
   | <code>b</code>`` paragraph (Architecture, Hypervisor, Platform, a disk
   container's Format): EC2 documents these without modelling them;
3. ``DOCUMENTED_VALUES``, a small table for values the documentation only
   describes in prose (LicenseType, the ``task-state`` filter).

A member is named by its path from the operation: the operation's wire name,
then member names (lists are transparent), e.g.
``("ImportImage", "DiskContainers", "Format")``.
"""

from __future__ import annotations

import re

from ec2_import_image.model import Shape
from ec2_import_image.model.doctext import xml_text

#: values the documentation gives in prose only
DOCUMENTED_VALUES: dict[tuple[str, ...], tuple[str, ...]] = {
    # "Specify AWS to replace the source-system license ... or BYOL to retain it"
    ("ImportImage", "LicenseType"): ("AWS", "BYOL"),
    # "Filter tasks using the task-state filter and one of the following values:
    # active, completed, deleting, or deleted."
    ("DescribeImportImageTasks", "Filters", "Name"): ("task-state",),
    ("DescribeImportImageTasks", "Filters", "Values"): (
        "active",
        "completed",
        "deleting",
        "deleted",
    ),
}

_VALID_VALUES = re.compile(r"<p>\s*Valid values:(?P<list>.*?)</p>", re.DOTALL | re.IGNORECASE)
_CODE = re.compile(r"<code>(.*?)</code>", re.DOTALL)


def scalar_of(shape: Shape) -> Shape:
    """A list's member shape (lists of lists included), else the shape itself."""
    while shape.type_name == "list":
        shape = shape.member
    return shape


def documented_in_text(documentation: str) -> tuple[str, ...]:
    """The values of a ``Valid values:`` paragraph of ``documentation``."""
    match = _VALID_VALUES.search(documentation)
    if match is None:
        return ()
    return tuple(xml_text(code).strip() for code in _CODE.findall(match.group("list")))


def valid_values(shape: Shape, path: tuple[str, ...]) -> tuple[str, ...]:
    """The values a member at ``path`` (with ``shape``) accepts, or ``()`` when free."""
    scalar = scalar_of(shape)
    if scalar.type_name != "string":
        return ()
    if scalar.enum:
        return scalar.enum
    return documented_in_text(shape.documentation) or DOCUMENTED_VALUES.get(path, ())


def values_source(shape: Shape, path: tuple[str, ...]) -> str:
    """Where the values come from: ``enum``, ``documentation``, ``table`` or ``""``."""
    scalar = scalar_of(shape)
    if scalar.type_name != "string":
        return ""
    if scalar.enum:
        return "enum"
    if documented_in_text(shape.documentation):
        return "documentation"
    return "table" if path in DOCUMENTED_VALUES else ""
