"""``--output json``: the whole result, indented by four, non-ASCII kept as is."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, TextIO

from ec2_import_image.dropin.errors import GeneralError
from ec2_import_image.dropin.render.common import Query, flush_quietly, full_result, prepared

#: v2's JSON encoder's message for a value it cannot encode
UNENCODABLE = "Encountered unrecognized type in JSON encoder."


def encode_extra(value: object) -> str:
    """JSON for the two non-JSON types a parsed response holds: timestamps and blobs.

    Anything else (an XML element botocore's parser kept from a reply that
    repeats a scalar element) fails as v2's encoder fails: its message, exit
    255, after what was written so far.
    """
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("utf-8")
    raise GeneralError(UNENCODABLE)


def dumps_compact(value: Any) -> str:
    """One line of JSON (the YAML formats print scalars this way)."""
    return json.dumps(value, ensure_ascii=False, default=encode_extra)


def render_json(result: Any, stream: TextIO, query: Query | None) -> None:
    value = prepared(full_result(result), query)
    try:
        # An empty object is what an operation without output returns: print nothing.
        # Other "empty" values (null, [], "") are printed.
        if not (isinstance(value, dict) and not value):
            # json.dump writes piece by piece, as v2's does: what reaches a stream
            # that cannot take a character is the same
            json.dump(value, stream, indent=4, ensure_ascii=False, default=encode_extra)
            stream.write("\n")
    except OSError:
        pass
    finally:
        flush_quietly(stream)
