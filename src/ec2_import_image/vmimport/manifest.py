"""A batch manifest: the images to import, in YAML or CSV, read into ``ImportSpec``s.

YAML::

    defaults:            # optional; any entry key but name
      bucket: migration-disks
      boot_mode: uefi
      tags: {project: dc-exit}
    entries:
      - name: web-1                      # unique, required
        disks: [exports/web-1.vmdk]      # relative to the manifest, or s3://...
        platform: Linux

CSV has the same keys as columns, one entry per row: ``disks`` separated by
``;``, ``tags`` as ``k=v;k=v``, an empty cell meaning "not given"; the lists
of the AMI's distribution (``copy_to_region``, ``share_with``, ``unshare``)
separated by ``;`` and ``copy_kms_key`` as ``REGION=KEY;REGION=KEY``.

A value comes from the entry, else the manifest's ``defaults``, else the
command line (``--bucket``, ``--prefix``...).  A bad manifest is refused
before anything starts, with every problem at once, each naming the entry
and the key.  A local disk that is not there is a problem of the entries
that need it (``require_files``): ``import``'s always; a batch entry's only
while a run would read it (``engine.changes.needs_disks``, which the state
decides: a finished entry needs none, ``--status`` and ``--dry-run`` none).
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ec2_import_image.roads import DEFAULT_ROAD, TABLE, Road
from ec2_import_image.vmimport.distribute import options as distribution
from ec2_import_image.vmimport.errors import UsageError
from ec2_import_image.vmimport.spec import (
    DEFAULT_PREFIX,
    DEFAULT_ROLE,
    MAX_DISKS,
    VIA_NAMES,
    Architecture,
    BootMode,
    DiskFormat,
    DiskSource,
    ImportOptions,
    ImportSpec,
    LicenseType,
    Platform,
    Via,
    parse_s3_url,
    via_named,
)
from ec2_import_image.vmimport.values import BadValue
from ec2_import_image.vmimport.values import flag as _flag
from ec2_import_image.vmimport.values import shown as _shown
from ec2_import_image.vmimport.values import text as _text

#: every key of an entry; ``defaults`` take all but ``name``
KEYS = (
    "name",
    "disks",
    "format",
    "boot_mode",
    "architecture",
    "platform",
    "license_type",
    "usage_operation",
    "description",
    "role_name",
    "encrypted",
    "kms_key_id",
    "license_specifications",
    "bucket",
    "prefix",
    "tags",
    "keep_upload",
    "via",
    "ena",
    "tpm",
    "uefi_data",
    # what is asked of the AMI once it is finished (``distribute.options``)
    *distribution.KEYS,
)
#: entry names become S3 key prefixes and tag values: a plain, portable alphabet
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: the rule of ``NAME`` as a person reads it (ASCII: the regular expression takes no other letter)
NAME_RULE = (
    "ASCII letters, digits, '.', '_' and '-', starting with a letter or digit, "
    "at most 128 characters"
)
#: tag key prefixes that are not the user's: AWS refuses ``aws:``, the tool sets ``vmimport:``
RESERVED_TAG_PREFIXES = ("aws:", "vmimport:")
CSV_LIST_SEPARATOR = ";"
#: where a value given as an option of ``import`` (or a default of ``batch``) is said to be
COMMAND_LINE = "command line"


class ManifestProblem(NamedTuple):
    #: ``entries[2] (db-1)``, ``defaults``, ``line 4 (db-1)``, ``command line``, or the file
    where: str
    key: str | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.key}: {self.message}"
            if self.key
            else (f"{self.where}: {self.message}")
        )


class ManifestError(UsageError):
    """The manifest cannot be used; every problem found is listed."""

    def __init__(self, path: Path, problems: Iterable[ManifestProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"the manifest {path} has {count} problem{'s' if count != 1 else ''}:\n{lines}"
        )


#: which entries a run keeps, by name
Selection = Callable[[str], bool]


class Manifest(NamedTuple):
    path: Path
    #: the entries selected (``--only``), in order
    entries: tuple[ImportSpec, ...]
    #: the names of every entry of the manifest, selected or not, in order
    names: tuple[str, ...] = ()


class _Problems:
    def __init__(self) -> None:
        self.found: list[ManifestProblem] = []

    def add(self, where: str, key: str | None, message: str) -> None:
        self.found.append(ManifestProblem(where, key, message))

    def about(self, where: str, key: str) -> bool:
        """Whether a problem of ``key`` at ``where`` is already noted (a bad value: "required"
        would contradict it)."""
        return any(p.where == where and p.key == key for p in self.found)


# -- values ---------------------------------------------------------------------------------

E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E]) -> Callable[[Any], E]:
    def convert(value: Any) -> E:
        text = _text(value)
        for member in kind:
            if text.lower() == member.value.lower():
                return member
        allowed = ", ".join(member.value for member in kind)
        if kind is BootMode and text.lower() == "uefi-preferred":
            raise BadValue(f"'uefi-preferred' is not accepted for imports (one of: {allowed})")
        raise BadValue(f"{text!r} is not one of: {allowed}")

    return convert


def _via(value: Any) -> Via:
    """A road, or ``auto`` (the road chosen by the check: ``spec.Auto``)."""
    text = _text(value)
    try:
        return via_named(text)
    except ValueError:
        raise BadValue(f"{text!r} is not one of: {', '.join(VIA_NAMES)}") from None


def _name(value: Any) -> str:
    text = _text(value)
    if not NAME.match(text):
        raise BadValue(f"{text!r} is not a usable name: {NAME_RULE}")
    return text


def _arns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [part.strip() for part in value.split(CSV_LIST_SEPARATOR) if part.strip()]
    elif isinstance(value, list):
        items = [_text(item) for item in value]
    else:
        raise BadValue(f"expected a list of license configuration ARNs, got {_shown(value)}")
    for item in items:
        if not item.startswith("arn:"):
            raise BadValue(f"{item!r} is not a license configuration ARN (arn:...)")
    return tuple(items)


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        pairs: list[tuple[str, str]] = []
        for item in filter(None, (part.strip() for part in value.split(CSV_LIST_SEPARATOR))):
            key, equals, tag_value = item.partition("=")
            if not equals or not key.strip():
                raise BadValue(f"{item!r} is not KEY=VALUE")
            pairs.append((key.strip(), tag_value.strip()))
    elif isinstance(value, dict):
        pairs = [(_text(key), "" if item is None else _text(item)) for key, item in value.items()]
    else:
        raise BadValue(f"expected a mapping of tags, got {_shown(value)}")
    for key, _ in pairs:
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            raise BadValue(f"the tag key {key!r} is reserved (aws: and vmimport: prefixes)")
    return tuple(pairs)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "format": _choice(DiskFormat),
    "boot_mode": _choice(BootMode),
    "architecture": _choice(Architecture),
    "platform": _choice(Platform),
    "license_type": _choice(LicenseType),
    "usage_operation": _text,
    "description": _text,
    "role_name": _text,
    "encrypted": _flag,
    "kms_key_id": _text,
    "license_specifications": _arns,
    "bucket": _text,
    "prefix": _text,
    "tags": _tags,
    "keep_upload": _flag,
    "via": _via,
    "ena": _flag,
    "tpm": _flag,
    "uefi_data": _text,
    **distribution.CONVERTERS,
}


def _not_a_disk_file(item: str, path: Path) -> str | None:
    """Why a local DISK cannot be read as a disk image (None: it is a regular file)."""
    from ec2_import_image.diskimage.sources import file_kind, not_a_file

    try:
        kind = file_kind(path.stat().st_mode)
    except FileNotFoundError:
        return f"{item!r}: no such file ({path})"
    except OSError as error:
        return f"{item!r}: {error.strerror or error} ({path})"
    return None if kind is None else not_a_file(repr(item), kind) + f" ({path})"


#: whether an entry (by name) needs its local disks to be there: all, none, or as a run decides
FilesNeeded = bool | Callable[[str], bool]


def _disks(value: Any, base: Path) -> tuple[tuple[DiskSource, ...], list[str]]:
    """The disks and the problems found with them (one message each)."""
    if isinstance(value, str):
        items: list[Any] = [v.strip() for v in value.split(CSV_LIST_SEPARATOR) if v.strip()]
    elif isinstance(value, list):
        items = value
    else:
        return (), [f"expected a list of disks, got {_shown(value)}"]
    disks: list[DiskSource] = []
    problems: list[str] = []
    if not items:
        problems.append("at least one disk is needed")
    if len(items) > MAX_DISKS:
        problems.append(f"{len(items)} disks: an image can have at most {MAX_DISKS} volumes")
    for item in items:
        if not isinstance(item, str) or not item:
            problems.append(f"a disk is a path or an s3:// URL, got {_shown(item)}")
            continue
        if item.startswith("s3://"):
            if parse_s3_url(item) is None:
                problems.append(f"{item!r} is not s3://BUCKET/KEY")
                continue
            disks.append(DiskSource(item))
            continue
        path = Path(os.path.expanduser(item))
        path = path if path.is_absolute() else base / path
        disks.append(DiskSource(str(path.resolve())))
    return tuple(disks), problems


# -- reading --------------------------------------------------------------------------------


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, KEYS, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_keys(raw: Mapping[Any, Any], where: str, problems: _Problems, *, entry: bool) -> None:
    for key in raw:
        if key not in KEYS:
            problems.add(where, str(key), f"unknown key{_suggest(str(key))}")
        elif key == "name" and not entry:
            problems.add(where, "name", "a name cannot be a default")


def _converted(
    raw: Mapping[str, Any], where: str, problems: _Problems, base: Path
) -> dict[str, Any]:
    """The known, given keys of ``raw`` converted; problems noted."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in KEYS or value is None or value == "":
            continue
        if key == "disks":
            disks, messages = _disks(value, base)
            for message in messages:
                problems.add(where, key, message)
            values[key] = disks
            continue
        try:
            values[key] = CONVERTERS[key](value)
        except BadValue as bad:
            problems.add(where, key, str(bad))
    return values


def _spec(
    values: Mapping[str, Any], where: str, problems: _Problems, base: Path, files: FilesNeeded
) -> ImportSpec | None:
    name = values.get("name")
    disks: tuple[DiskSource, ...] = values.get("disks", ())
    if files if isinstance(files, bool) else files(str(name)):
        for disk in disks:
            if disk.is_s3:
                continue
            shown = os.path.relpath(disk.location, base)
            refused = _not_a_disk_file(shown, Path(disk.location))
            if refused is not None:
                problems.add(where, "disks", refused)
    if name is None and not problems.about(where, "name"):
        problems.add(where, "name", "required")
    if "disks" not in values and not problems.about(where, "disks"):
        problems.add(where, "disks", "required")
    if values.get("kms_key_id") and not values.get("encrypted"):
        problems.add(where, "kms_key_id", "needs encrypted: true")
    if values.get("license_type") and values.get("usage_operation"):
        problems.add(where, "usage_operation", "cannot be given with license_type")
    for key, message in distribution.problems(values):
        problems.add(where, key, message)
    road = values.get("via", DEFAULT_ROAD)
    for key in ("tpm", "uefi_data"):
        if values.get(key) and road is Road.IMAGE:
            problems.add(
                where, key, "is given at RegisterImage: only with via snapshot, direct or auto"
            )
    if values.get("tpm") and values.get("boot_mode") is BootMode.LEGACY_BIOS:
        problems.add(where, "tpm", "needs UEFI (TpmSupport is refused with legacy-bios)")
    # auto: a bucket is needed only if the check chooses a road that uploads (said then)
    if (
        isinstance(road, Road)
        and TABLE[road].bucket
        and any(not disk.is_s3 for disk in disks)
        and not values.get("bucket")
        and not problems.about(where, "bucket")
    ):
        # the command line's own problem names the option already: no "(or --bucket)" there
        elsewhere = "" if where == COMMAND_LINE else " (in the entry, its defaults, or --bucket)"
        problems.add(where, "bucket", f"required to upload local disks{elsewhere}")
    if name is None:
        return None
    options = ImportOptions(
        **{key: values[key] for key in ImportOptions._fields if key in values},
    )
    if "prefix" not in values:
        options = options._replace(prefix=DEFAULT_PREFIX)
    if "role_name" not in values:
        options = options._replace(role_name=DEFAULT_ROLE)
    return ImportSpec(name, disks, options, distribution.distribution(values))


def _label(raw: Mapping[Any, Any], prefix: str) -> str:
    name = raw.get("name")
    return f"{prefix} ({name})" if isinstance(name, str | int) and str(name) else prefix


def _build(
    path: Path,
    raw_entries: list[tuple[str, Any]],
    raw_defaults: Any,
    command_line: Mapping[str, Any],
    problems: _Problems,
    *,
    only: Selection | None = None,
    require_files: FilesNeeded = True,
) -> Manifest:
    base = path.parent
    given_cli = _converted(command_line, COMMAND_LINE, problems, base)
    given_cli.pop("name", None)
    defaults: dict[str, Any] = {}
    if raw_defaults is not None:
        if not isinstance(raw_defaults, dict):
            problems.add("defaults", None, f"expected a mapping, got {_shown(raw_defaults)}")
        else:
            _check_keys(raw_defaults, "defaults", problems, entry=False)
            defaults = _converted(raw_defaults, "defaults", problems, base)
            defaults.pop("name", None)
    specs: list[ImportSpec] = []
    seen: dict[str, str] = {}
    for where, raw in raw_entries:
        if not isinstance(raw, dict):
            problems.add(where, None, f"an entry is a mapping, got {_shown(raw)}")
            continue
        name = raw.get("name")
        if only is not None and isinstance(name, str | int) and not only(str(name)):
            if str(name) in seen:
                problems.add(where, "name", f"{name!r} is already the name of {seen[str(name)]}")
            seen[str(name)] = where
            continue  # another host's entry: its disks are not looked for here
        _check_keys(raw, where, problems, entry=True)
        values = {
            **given_cli,
            **defaults,
            **_converted(raw, where, problems, base),
        }
        spec = _spec(values, where, problems, base, require_files)
        if spec is None:
            continue
        if spec.name in seen:
            problems.add(where, "name", f"{spec.name!r} is already the name of {seen[spec.name]}")
            continue
        seen[spec.name] = where
        specs.append(spec)
    if not raw_entries:
        problems.add(str(path), None, "no entries")
    if problems.found:
        raise ManifestError(path, problems.found)
    return Manifest(path, tuple(specs), tuple(seen))


def option_name(key: str) -> str:
    """The command-line option of a manifest key: ``kms_key_id`` -> ``--kms-key-id``."""
    if key == "disks":  # the arguments of `vmimport import DISK...`
        return "DISK"
    return "--" + ("tag" if key == "tags" else key.replace("_", "-"))


def entry_from_options(values: Mapping[str, Any], base: Path) -> ImportSpec:
    """The one entry of ``vmimport import``: the manifest's keys from its options, read and
    checked as a manifest entry is (relative disks from ``base``); every problem at once."""
    problems = _Problems()
    converted = _converted(values, COMMAND_LINE, problems, base)
    spec = _spec(converted, COMMAND_LINE, problems, base, True)
    if problems.found or spec is None:
        raise UsageError(
            "; ".join(
                f"{option_name(p.key)}: {p.message}" if p.key else p.message for p in problems.found
            )
        )
    return spec


#: the most values a manifest may expand to with its aliases (thousands of entries stay far below)
MAX_EXPANDED_VALUES = 1_000_000


def _yaml_document(path: Path, text: str, problems: _Problems) -> Any:
    from ec2_import_image.yamlload import YamlError, YamlTooLarge, safe_load

    try:
        return safe_load(text, MAX_EXPANDED_VALUES)
    except YamlTooLarge as error:
        problems.add(str(path), None, f"{error} (a YAML alias bomb?)")
    except YamlError as error:
        problems.add(str(path), None, f"not valid YAML: {error.located()}")
    except RecursionError:
        problems.add(str(path), None, "not valid YAML: nested too deeply")
    raise ManifestError(path, problems.found)


def _from_yaml(
    path: Path,
    text: str,
    command_line: Mapping[str, Any],
    only: Selection | None,
    require_files: FilesNeeded,
) -> Manifest:
    problems = _Problems()
    document = _yaml_document(path, text, problems)
    if not isinstance(document, dict):
        problems.add(str(path), None, "expected a mapping with 'entries' (and 'defaults')")
        raise ManifestError(path, problems.found)
    for key in document:
        if key not in ("entries", "defaults"):
            problems.add(str(path), str(key), "unknown top-level key (entries, defaults)")
    entries = document.get("entries")
    if entries is not None and not isinstance(entries, list):
        problems.add(str(path), "entries", f"expected a list, got {_shown(entries)}")
        entries = []
    raw_entries = [
        (_label(raw if isinstance(raw, dict) else {}, f"entries[{index}]"), raw)
        for index, raw in enumerate(entries or [])
    ]
    return _build(
        path,
        raw_entries,
        document.get("defaults"),
        command_line,
        problems,
        only=only,
        require_files=require_files,
    )


def _from_csv(
    path: Path,
    text: str,
    command_line: Mapping[str, Any],
    only: Selection | None,
    require_files: FilesNeeded,
) -> Manifest:
    problems = _Problems()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    for column in header:
        if column not in KEYS:
            problems.add(str(path), column, f"unknown column{_suggest(column)}")
    raw_entries: list[tuple[str, Any]] = []
    for row in reader:
        cleaned = {
            (key or "").strip(): (value.strip() if isinstance(value, str) else value)
            for key, value in row.items()
            if key is not None
        }
        if None in row:
            problems.add(f"line {reader.line_num}", None, "more cells than columns")
        raw_entries.append((_label(cleaned, f"line {reader.line_num}"), cleaned))
    return _build(
        path, raw_entries, None, command_line, problems, only=only, require_files=require_files
    )


def load_manifest(
    path: Path,
    command_line: Mapping[str, Any] | None = None,
    *,
    only: Selection | None = None,
    require_files: FilesNeeded = True,
) -> Manifest:
    """Read and check a manifest (``.csv`` is CSV, anything else YAML).

    ``only``: the entries to keep, by name (``batch --only``); the others are
    checked only for their names, so that a host need not have another host's
    disks.  ``require_files``: whether an entry's local disk that is not there
    is a problem (all entries, none, or those the callable names: see the
    module's docstring).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the manifest {path}: {error}") from None
    given = dict(command_line or {})
    if path.suffix.lower() == ".csv":
        return _from_csv(path, text, given, only, require_files)
    return _from_yaml(path, text, given, only, require_files)
