"""``--cli-input-json`` and ``--cli-input-yaml``: a whole request as one document.

As in v2 the option's value goes through the file step twice: once like
every option's value, and once more here, so ``file:///dev/stdin`` finds the
pipe already empty the second time (v2 then reports invalid JSON).  YAML is
read with ruamel.yaml's safe loader, YAML 1.2 as v2 reads it: ``yes`` stays a
string, dates become datetimes, and no object is ever constructed from a tag.
"""

from __future__ import annotations

import json
from typing import Any

from ec2_import_image.dropin.errors import ParamValidationError, param_error
from ec2_import_image.dropin.params.paramfile import get_paramfile

CLI_INPUT_KINDS = ("cli-input-json", "cli-input-yaml")


def load_cli_input(kind: str, raw: str) -> dict[str, Any]:
    """Read the document given to ``--cli-input-json``/``--cli-input-yaml``."""
    loaded_file = get_paramfile(raw)
    text: Any = raw if loaded_file is None else loaded_file
    if kind == "cli-input-json":
        try:
            data = json.loads(text)
        except ValueError:
            raise param_error(kind, "Invalid JSON received.") from None
    else:
        data = _load_yaml(kind, text)
    if not isinstance(data, dict):
        raise ParamValidationError(
            f"Error parsing parameter '--{kind}': Invalid type: expecting map, "
            f"received {type(data)}"
        )
    return data


def _load_yaml(kind: str, text: Any) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        return yaml.load(text)
    except YAMLError:
        raise param_error(kind, "Invalid YAML received.") from None
