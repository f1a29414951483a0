"""JSON option values, read as v2 reads them.

v2 reads JSON option values into ``collections.OrderedDict`` objects, and its
validation messages print them (``value: OrderedDict([('Key', 'a')]), type:
<class 'collections.OrderedDict'>``) in the form Python 3.11 prints them.
Python 3.12 changed OrderedDict's repr, so the tool reads objects into a
subclass that keeps the 3.11 form on every supported Python.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any


class _OrderedDictType(type):
    def __repr__(cls) -> str:
        return "<class 'collections.OrderedDict'>"


class JsonObject(OrderedDict[str, Any], metaclass=_OrderedDictType):
    """A JSON object that reports itself as v2's OrderedDict does on Python 3.11."""

    def __repr__(self) -> str:
        if not self:
            return "OrderedDict()"
        return f"OrderedDict({list(self.items())!r})"


def loads(text: str) -> Any:
    """Parse JSON keeping key order, objects as ``JsonObject``."""
    return json.loads(text, object_pairs_hook=JsonObject)
