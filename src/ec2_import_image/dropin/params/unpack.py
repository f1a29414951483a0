"""One option's words -> the Python value of its request member, as v2 converts them.

The order of v2's steps is kept because it shows in edge cases:

1. a value naming a file (``file://``, ``fileb://``) is replaced by the file's
   contents (for a list option only when it was given exactly one word);
2. a value for a structure, or a list of structures, that does not look like
   JSON is read as shorthand syntax and coerced to the shape;
3. anything else is read as JSON (structures, maps, lists written as JSON) or
   converted as a scalar (``int()`` / ``float()``; strings stay strings,
   timestamps stay strings for botocore to convert and validate).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ec2_import_image.dropin.errors import GeneralError, crash_as_in_v2, param_error
from ec2_import_image.dropin.params import jsonvalues
from ec2_import_image.dropin.params.paramfile import ResourceLoadingError, get_paramfile
from ec2_import_image.dropin.params.shorthand import (
    ShorthandNestingError,
    ShorthandParseError,
    coerce_to_shape,
    parse_shorthand,
)
from ec2_import_image.model import Shape

COMPLEX_TYPES = frozenset({"structure", "list", "map"})


def load_file_value(cli_name: str, value: Any, environ: Mapping[str, str]) -> Any:
    """Step 1: ``file://`` and ``fileb://`` values are replaced by the file's contents."""
    candidate = value[0] if isinstance(value, list) and len(value) == 1 else value
    if not isinstance(candidate, str):
        return value
    try:
        loaded = get_paramfile(candidate, environ)
    except ResourceLoadingError as error:
        raise param_error(cli_name, str(error)) from None
    return value if loaded is None else loaded


def supports_shorthand(shape: Shape) -> bool:
    if shape.type_name not in COMPLEX_TYPES:
        return False
    return shape.type_name != "list" or shape.member.type_name in COMPLEX_TYPES


def _looks_like_json(value: Any) -> bool:
    check = value[0] if isinstance(value, list) and value else value
    return isinstance(check, str) and check.strip().startswith(("[", "{"))


def unpack_value(cli_name: str, shape: Shape, value: Any, environ: Mapping[str, str]) -> Any:
    """Steps 2 and 3 for a value already past the file step (``environ``: for ``key@=``)."""
    if supports_shorthand(shape) and not _looks_like_json(value):
        return _unpack_shorthand(cli_name, shape, value, environ)
    if shape.type_name not in COMPLEX_TYPES:
        try:
            return unpack_scalar(shape, value)
        except (ValueError, TypeError) as error:
            # int()/float() of the option's value: v2 lets Python's error escape (255)
            raise crash_as_in_v2(error) from error
    return _unpack(cli_name, shape, value)


def _unpack_shorthand(cli_name: str, shape: Shape, value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, bytes):
        # v2 hands the bytes of a fileb:// file to its character-by-character
        # parser, which fails comparing an int with a str: an unhandled
        # TypeError, exit 255, with Python's own message.
        raise GeneralError("'in <string>' requires string as left operand, not int")
    # A file that cannot be loaded for ``key@=file://...`` is not a parameter
    # error in v2: its ResourceLoadingError reaches the general handler (255).
    try:
        if isinstance(value, list):
            parsed: Any = [parse_shorthand(word, environ) for word in value]
        else:
            parsed = parse_shorthand(value, environ)
    except ShorthandNestingError as error:
        # v2's recursive parser dies of RecursionError here: an unexpected error
        raise GeneralError(str(error)) from None
    except ShorthandParseError as error:
        raise param_error(cli_name, str(error)) from None
    if shape.type_name == "list" and not isinstance(parsed, list):
        # One string for a list option (read from a file): v2's coercion cannot
        # replace the top-level value, so the structure is left for validation.
        return parsed
    return coerce_to_shape(parsed, shape)


def _unpack_json(cli_name: str, value: str) -> Any:
    try:
        return jsonvalues.loads(value)
    except json.JSONDecodeError as error:
        raise param_error(cli_name, f"Invalid JSON: {error}\nJSON received: {value}") from None
    except RecursionError as error:
        # nested too deeply for Python's decoder: v2 does not catch it either (255)
        raise crash_as_in_v2(error) from error


def _unpack(cli_name: str, shape: Shape, value: Any) -> Any:
    type_name = shape.type_name
    if type_name in ("structure", "map"):
        if value.lstrip()[0] == "{":
            return _unpack_json(cli_name, value)
        raise param_error(cli_name, f"Invalid JSON:\n{value}")
    if type_name == "list":
        if isinstance(value, str):
            if value.lstrip()[0] == "[":
                return _unpack_json(cli_name, value)
        elif isinstance(value, list) and len(value) == 1:
            single = value[0].strip()
            if single and single[0] == "[":
                return _unpack_json(cli_name, value[0])
        try:
            return [_unpack(cli_name, shape.member, item) for item in value]
        except (ValueError, TypeError):
            raise param_error(cli_name, value[0]) from None
    return unpack_scalar(shape, value)


def unpack_scalar(shape: Shape, value: Any) -> Any:
    type_name = shape.type_name
    if type_name in ("integer", "long"):
        return int(value)
    if type_name in ("float", "double"):
        return float(value)
    if type_name == "boolean":
        if isinstance(value, str) and value.lower() == "false":
            return False
        return bool(value)
    return value
