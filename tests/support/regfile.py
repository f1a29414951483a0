"""A tiny parser of regedit's text format (.reg), the oracle of the registry fixtures.

Keys are ``[PATH]`` lines, values ``"name"=DATA`` or ``@=DATA`` lines; DATA is ``"text"``
(REG_SZ), ``dword:XXXXXXXX``, ``hex:..`` (REG_BINARY) or ``hex(N):..`` (type N); a line
ending in ``\\`` goes on.  Only what the fixtures use is understood.
"""

from __future__ import annotations

RegValue = tuple[int, bytes]


def _unquote(text: str, start: int) -> tuple[str, int]:
    """The quoted string starting at ``text[start] == '"'``, and the index after it."""
    out: list[str] = []
    index = start + 1
    while text[index] != '"':
        if text[index] == "\\":
            index += 1
        out.append(text[index])
        index += 1
    return "".join(out), index + 1


def _data(text: str) -> RegValue:
    if text.startswith('"'):
        value, _ = _unquote(text, 0)
        return 1, (value + "\0").encode("utf-16-le")
    if text.startswith("dword:"):
        return 4, int(text[6:], 16).to_bytes(4, "little")
    kind, _, data = text.partition(":")
    value_type = 3 if kind == "hex" else int(kind[4:-1], 16)
    return value_type, bytes(int(part, 16) for part in data.split(",") if part)


def parse_reg(text: str, prefix: str) -> dict[str, dict[str, RegValue]]:
    """{key path below ``prefix`` ("" for the root): {value name: (type, data)}}."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        if line.endswith("\\") and not line.startswith("["):
            pending = line[:-1]
            continue
        pending = ""
        lines.append(line)
    keys: dict[str, dict[str, RegValue]] = {}
    current: dict[str, RegValue] | None = None
    for line in lines:
        if line.startswith("[") and line.endswith("]"):
            path = line[1:-1]
            assert path.startswith(prefix), path
            name = path[len(prefix) :].strip("\\")
            current = keys.setdefault(name, {})
        elif line.startswith(('"', "@")) and current is not None:
            if line.startswith("@"):
                name, index = "", 1
            else:
                name, index = _unquote(line, 0)
            assert line[index] == "=", line
            current[name] = _data(line[index + 1 :])
    return keys


def strings_equal(value_type: int, left: bytes, right: bytes) -> bool:
    """Equal as the registry means it: text up to its NUL for string types, else bytes."""
    if value_type in (1, 2, 6):
        return left.decode("utf-16-le").split("\0")[0] == right.decode("utf-16-le").split("\0")[0]
    return left == right
