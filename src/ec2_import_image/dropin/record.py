"""Frozen records for the drop-in's start-up path: a class with ``__slots__``, nothing more.

``typing.NamedTuple`` compiles every field's annotation when its class is
defined (the annotations are strings here): about 12 µs a field, so a record
of twenty fields costs a quarter of a millisecond of every run's start-up
before it is used once.  ``dataclasses`` costs more still (its import alone
is about 12 ms).  A class with ``__slots__`` is defined in about 10 µs and
builds an instance in about 2 µs; docs/performance.md has the measurements.

A record names its fields in ``__slots__`` and takes them, by the same names,
in ``__init__``, which hands ``locals()`` to ``_fill``.  It cannot be changed
once built: ``replace`` makes a new one.
"""

from __future__ import annotations

from typing import Any, Self

_set = object.__setattr__


class Record:
    """A frozen record: its fields are its ``__slots__``, in order."""

    __slots__: tuple[str, ...] = ()

    def _fill(self, values: dict[str, Any]) -> None:
        """Set every field from ``values`` (``__init__``'s ``locals()``)."""
        for name in self.__slots__:
            _set(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: make a new one with replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def replace(self, **changes: Any) -> Self:
        """A new record: this one's fields, with ``changes``."""
        return type(self)(**{**self.as_dict(), **changes})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # fields may be dicts

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"
