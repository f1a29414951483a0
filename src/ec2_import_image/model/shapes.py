"""A light reader for the shipped model (botocore's service-2 and paginators-1 layouts).

The model is shipped in botocore's data directory layout
(``data/ec2/2016-11-15/service-2.json`` and ``paginators-1.json``), so that
``DATA_PATH`` is a search path of botocore's loader: the drop-in's session
finds the pinned model there, ahead of botocore's own data, through the
loader's public ``extra_search_paths`` (``dropin/service/datapath.py``).

Paths that send nothing (skeletons, usage and parse errors, help) need the
shapes of an operation but not botocore: importing botocore and building its
model costs far more than reading this 32 KB file.  The reader resolves shapes
lazily, merging a member reference's own traits (documentation,
locationName) over the target shape's, as botocore does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from functools import cache, cached_property
from typing import Any

#: the pinned model's directory, a search path of botocore's loader
DATA_PATH = os.path.join(os.path.dirname(__file__), "data")
SERVICE = "ec2"
API_VERSION = "2016-11-15"
#: the model types shipped, as botocore names them
MODEL_TYPES = ("service-2", "paginators-1")
SCALAR_TYPES = frozenset(
    {"string", "integer", "long", "float", "double", "boolean", "timestamp", "blob"}
)


class Shape:
    """One shape of the model, seen through the reference that reached it."""

    def __init__(self, model: Model, name: str, reference: Mapping[str, Any] | None = None) -> None:
        self._model = model
        self.name = name
        self._definition: Mapping[str, Any] = model.raw["shapes"][name]
        self._reference: Mapping[str, Any] = reference or {}

    def __repr__(self) -> str:
        return f"<Shape {self.name} ({self.type_name})>"

    @property
    def type_name(self) -> str:
        return str(self._definition["type"])

    @property
    def is_scalar(self) -> bool:
        return self.type_name in SCALAR_TYPES

    @property
    def documentation(self) -> str:
        doc = self._reference.get("documentation", self._definition.get("documentation", ""))
        return str(doc)

    @property
    def location_name(self) -> str | None:
        value = self._reference.get("locationName", self._definition.get("locationName"))
        return None if value is None else str(value)

    @property
    def enum(self) -> tuple[str, ...]:
        return tuple(self._definition.get("enum", ()))

    @property
    def required_members(self) -> tuple[str, ...]:
        return tuple(self._definition.get("required", ()))

    @property
    def is_idempotency_token(self) -> bool:
        return bool(self._reference.get("idempotencyToken", False))

    @cached_property
    def members(self) -> dict[str, Shape]:
        """Members of a structure, in model order."""
        return {
            key: Shape(self._model, ref["shape"], ref)
            for key, ref in self._definition.get("members", {}).items()
        }

    @cached_property
    def member(self) -> Shape:
        """The member shape of a list."""
        ref = self._definition["member"]
        return Shape(self._model, ref["shape"], ref)

    @cached_property
    def key(self) -> Shape:
        ref = self._definition["key"]
        return Shape(self._model, ref["shape"], ref)

    @cached_property
    def value(self) -> Shape:
        ref = self._definition["value"]
        return Shape(self._model, ref["shape"], ref)


class Operation:
    """One operation: its wire name, CLI name, shapes and paginator."""

    def __init__(self, model: Model, name: str) -> None:
        self._model = model
        self.name = name
        self._definition: Mapping[str, Any] = model.raw["operations"][name]

    def __repr__(self) -> str:
        return f"<Operation {self.name}>"

    @property
    def cli_name(self) -> str:
        return xform_name(self.name, "-")

    @property
    def documentation(self) -> str:
        return str(self._definition.get("documentation", ""))

    @cached_property
    def input_shape(self) -> Shape | None:
        ref = self._definition.get("input")
        return None if ref is None else Shape(self._model, ref["shape"], ref)

    @cached_property
    def output_shape(self) -> Shape | None:
        ref = self._definition.get("output")
        return None if ref is None else Shape(self._model, ref["shape"], ref)

    @property
    def paginator(self) -> Mapping[str, Any] | None:
        config = self._model.pagination.get(self.name)
        return None if config is None else dict(config)


class Model:
    """The whole pinned model: ``raw`` as in service-2, ``pagination`` as in paginators-1."""

    def __init__(self, raw: Mapping[str, Any], pagination: Mapping[str, Any] | None = None) -> None:
        self.raw = raw
        self.pagination: Mapping[str, Any] = pagination or {}

    @property
    def botocore_version(self) -> str:
        return str(self.raw["pinned"]["botocore_version"])

    @property
    def api_version(self) -> str:
        return str(self.raw["metadata"]["apiVersion"])

    @property
    def documentation(self) -> str:
        return str(self.raw.get("documentation", ""))

    def operation_names(self) -> Iterator[str]:
        return iter(self.raw["operations"])

    def operation(self, name: str) -> Operation:
        return Operation(self, name)

    def operation_by_cli_name(self, cli_name: str) -> Operation | None:
        for name in self.raw["operations"]:
            if xform_name(name, "-") == cli_name:
                return Operation(self, name)
        return None

    def shape(self, name: str) -> Shape:
        return Shape(self, name)


def model_file(type_name: str) -> str:
    """Where the shipped model of ``type_name`` (one of ``MODEL_TYPES``) is."""
    return os.path.join(DATA_PATH, SERVICE, API_VERSION, f"{type_name}.json")


def model_text(type_name: str = "service-2") -> str:
    """A shipped model file's text (read by path: importlib.resources costs more to import)."""
    with open(model_file(type_name), encoding="utf-8") as handle:
        return handle.read()


@cache
def load_model() -> Model:
    pagination = json.loads(model_text("paginators-1"))["pagination"]
    return Model(json.loads(model_text()), pagination)


def xform_name(name: str, sep: str = "_") -> str:
    """CamelCase to lower-case words, as botocore names operations and members.

    ``ImportImage`` -> ``import-image``, ``KmsKeyId`` -> ``kms-key-id``,
    ``ImportTaskIds`` -> ``import-task-ids``; a run of capitals stays one word
    (``DescribeVPCs`` -> ``describe-vpcs``).
    """
    if sep in name:
        return name
    words: list[str] = []
    current = ""
    for index, char in enumerate(name):
        if char.isupper() and current:
            prev = name[index - 1]
            nxt = name[index + 1] if index + 1 < len(name) else ""
            if not prev.isupper() or (nxt.islower() and nxt != "s") or prev.isdigit():
                words.append(current)
                current = ""
        current += char
    if current:
        words.append(current)
    return sep.join(word.lower() for word in words)
