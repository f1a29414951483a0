"""``--cli-input-json`` and ``--cli-input-yaml``: a whole request as one document.

As in v2 the option's value goes through the file step twice: once like
every option's value, and once more here, so ``file:///dev/stdin`` finds the
pipe already empty the second time (v2 then reports invalid JSON).  YAML is
read with ruamel.yaml's safe loader, YAML 1.2 as v2 reads it: ``yes`` stays a
string, dates become datetimes, and no object is ever constructed from a tag.

Aliases let a few lines of YAML stand for billions of values (ten anchors of
ten aliases each: 10^10): loading such a document is cheap, since its values
are shared, but everything after it (validation, serialization) walks them
one by one, and v2 runs for half a minute into a MemoryError.  The document
is therefore read by the shared safe loader (``ec2_import_image.yamlload``),
which counts the values it holds with every alias expanded on the composed
nodes: a document whose aliases take it past ``MAX_EXPANDED_VALUES`` (or that
refers to itself) is refused as a parameter error, before anything is
constructed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ec2_import_image.dropin.errors import ParamValidationError, crash_as_in_v2, param_error
from ec2_import_image.dropin.params.paramfile import get_paramfile

#: the option whose document is YAML (the other, ``cli-input-json``, is JSON)
YAML_INPUT = "cli-input-yaml"


def load_cli_input(name: str, raw: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the document given to ``--cli-input-json`` or ``--cli-input-yaml`` (``name``).

    ``environ``: the run's variables, for a ``file://`` document's path and encoding.
    """
    loaded_file = get_paramfile(raw, environ)
    text: Any = raw if loaded_file is None else loaded_file
    if name == YAML_INPUT:
        data = _load_yaml(name, text)
    else:
        try:
            data = json.loads(text)
        except ValueError:
            raise param_error(name, "Invalid JSON received.") from None
        except RecursionError as error:
            # nested too deeply for Python's decoder: v2 does not catch it either (255)
            raise crash_as_in_v2(error) from error
    if not isinstance(data, dict):
        raise ParamValidationError(
            f"Error parsing parameter '--{name}': Invalid type: expecting map, "
            f"received {type(data)}"
        )
    return data


#: The most values a ``--cli-input-yaml`` document may hold once its aliases are expanded.
#: A real request holds tens of values (a few thousand for a long list of task ids);
#: a document without aliases is not counted against it.
MAX_EXPANDED_VALUES = 100_000


def _load_yaml(name: str, text: Any) -> Any:
    from ec2_import_image.yamlload import YamlError, YamlRecursive, YamlTooLarge, safe_load

    try:
        return safe_load(text, MAX_EXPANDED_VALUES)
    except YamlRecursive:
        raise param_error(
            name,
            "The YAML document refers to itself (an alias inside the value of its own "
            "anchor), which expands without end.",
        ) from None
    except YamlTooLarge as large:
        raise param_error(
            name,
            f"The YAML document's aliases expand it to {large.expanded:,} values, more than "
            f"the {large.limit:,} a document may hold. Write the values out, or use fewer "
            "aliases.",
        ) from None
    except YamlError:
        raise param_error(name, "Invalid YAML received.") from None
    except RecursionError as error:
        # nested too deeply for the composer: v2 does not catch it either (255)
        raise crash_as_in_v2(error) from error
