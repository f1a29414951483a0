"""What the user asks of a finished AMI: the options of ``import`` and the keys of a manifest.

``--ami-name``, ``--copy-to-region``, ``--copy-kms-key``, ``--share-with``,
``--unshare``, ``--deprecate-after``, ``--deprecate-at``,
``--deregistration-protection``, ``--imds-v2`` and ``--owner`` (manifest keys in
snake_case) are read here into a ``Distribution``, each value checked as the
service would check it, so that a bad value is a usage error before anything is
uploaded rather than a refusal after an hour of import:

- an AMI name: 3 to 128 letters, digits and ``( ) [ ] . / - ' @ _`` and spaces
  (the API reference, RegisterImage and CopyImage, ``Name``);
- a Region: the form of AWS's Region names, ``([a-z]+-){2,3}\\d`` (the pattern
  of a Region in AWS's own APIs, e.g. Data Lifecycle Manager's
  CrossRegionCopyTarget);
- a grantee: a 12-digit account id, an organization ARN
  (``arn:aws:organizations::ACCOUNT:organization/o-...``) or an OU ARN
  (``...:ou/o-.../ou-...-...``), the forms of the user guide's "Share an AMI
  with organizations or OUs" and EC2 Image Builder's LaunchPermissionConfiguration
  patterns.  ``all`` (public) is refused: this tool never makes an AMI public.
  A YAML account id written without quotes is a number, and one starting with
  0 has lost its zero: it is refused with that reason;
- a KMS key per Region (``REGION=KEY``): a key id, an alias or an ARN; an ARN
  of another Region is refused (CopyImage encrypts with a key of the
  destination Region);
- ``deprecate_after``: whole days from the import's own time, 1 to 3,650 (the
  service takes a deprecation time at most 10 years ahead: the API reference,
  EnableImageDeprecation); ``deprecate_at``: a date (midnight UTC) or a time in
  UTC, checked to be in the future and within the 10 years when it is applied
  (a manifest read years later stays readable);
- ``owner``: the ``vmimport:owner`` tag's value that scopes ``vmimport gc``
  (default: the state database's own id).

``problems`` judges the keys together (a share and an unshare of the same
grantee, both deprecations, a key for a Region not copied to).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from ec2_import_image.vmimport.values import BadValue, flag, text
from ec2_import_image.vmimport.values import shown as _shown

#: RegisterImage's and CopyImage's rule for ``Name``
AMI_NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")
AMI_NAME_RULE = (
    "3 to 128 characters: letters, digits, spaces and ( ) [ ] . / - ' @ _ (the rule of "
    "RegisterImage and CopyImage)"
)
REGION = re.compile(r"^([a-z]+-){2,3}\d+$")
ACCOUNT = re.compile(r"^\d{12}$")
ORGANIZATION_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$"
)
UNIT_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$"
)
KMS_ARN_REGION = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):")
OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: the longest ``--deprecate-after``: the service's 10 years, in whole days
MAX_DEPRECATE_DAYS = 3650
LIST_SEPARATOR = ";"
#: what refuses a value (the manifest's own)
Refused = BadValue


class GranteeKind(StrEnum):
    """Who an AMI is shared with, by the member of ModifyImageAttribute's LaunchPermission."""

    ACCOUNT = "UserId"
    ORGANIZATION = "OrganizationArn"
    UNIT = "OrganizationalUnitArn"


class Grantee(NamedTuple):
    kind: GranteeKind
    value: str

    def __str__(self) -> str:
        return self.value

    @property
    def is_account(self) -> bool:
        return self.kind is GranteeKind.ACCOUNT


class Distribution(NamedTuple):
    """What one import asks of its finished AMI (defaults: nothing)."""

    ami_name: str | None = None
    copy_to_region: tuple[str, ...] = ()
    #: (Region, KMS key) for encrypted copies
    copy_kms_key: tuple[tuple[str, str], ...] = ()
    share_with: tuple[Grantee, ...] = ()
    unshare: tuple[Grantee, ...] = ()
    deprecate_after: int | None = None
    deprecate_at: datetime.datetime | None = None
    deregistration_protection: bool = False
    imds_v2: bool = False
    owner: str | None = None

    def kms_key(self, region: str) -> str | None:
        return dict(self.copy_kms_key).get(region)


#: the manifest keys (and ``import`` options, in kebab-case) of a distribution
KEYS = Distribution._fields


def _text(value: Any) -> str:
    return text(value).strip()


def _items(value: Any, what: str) -> list[Any]:
    """A list as a manifest gives it: a YAML list, or text separated by ``;`` (CSV)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise Refused(f"expected a list of {what}, got {_shown(value)}")


def ami_name(value: Any) -> str:
    text = _text(value)
    if not AMI_NAME.match(text):
        raise Refused(f"{text!r} cannot name an AMI: {AMI_NAME_RULE}")
    return text


def region(value: Any) -> str:
    text = _text(value)
    if not REGION.match(text):
        raise Refused(f"{text!r} is not a Region name (e.g. us-west-2)")
    return text


def regions(value: Any) -> tuple[str, ...]:
    found = [region(item) for item in _items(value, "Regions")]
    return tuple(dict.fromkeys(found))


def _kms_pairs(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    pairs = []
    for item in _items(value, "REGION=KEY pairs"):
        text = _text(item)
        name, equals, key = text.partition("=")
        if not equals or not name.strip() or not key.strip():
            raise Refused(f"{text!r} is not REGION=KEY")
        pairs.append((name.strip(), key.strip()))
    return pairs


def kms_keys(value: Any) -> tuple[tuple[str, str], ...]:
    keys: dict[str, str] = {}
    for name, key in _kms_pairs(value):
        where = region(name)
        text = _text(key)
        if not text:
            raise Refused(f"{where}: the KMS key is empty")
        arn = KMS_ARN_REGION.match(text)
        if arn is not None and arn.group(1) != where:
            raise Refused(
                f"{where}={text}: the key is in {arn.group(1)}, and a copy to {where} is "
                f"encrypted with a key of {where}"
            )
        keys[where] = text
    return tuple(sorted(keys.items()))


def grantee(value: Any) -> Grantee:
    """One grantee (see the module's docstring)."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
        if len(digits) != 12:
            raise Refused(
                f"{value} is not a 12-digit account id (an account id starting with 0 must be "
                "quoted in YAML: unquoted, it is a number and loses its leading zeros)"
            )
        return Grantee(GranteeKind.ACCOUNT, digits)
    text = _text(value)
    if text.lower() == "all":
        raise Refused(
            "'all' would make the AMI public: vmimport never does (share with account ids, "
            "an organization or an OU; to publish an AMI, use aws ec2 modify-image-attribute "
            "yourself)"
        )
    if ACCOUNT.match(text):
        return Grantee(GranteeKind.ACCOUNT, text)
    if ORGANIZATION_ARN.match(text):
        return Grantee(GranteeKind.ORGANIZATION, text)
    if UNIT_ARN.match(text):
        return Grantee(GranteeKind.UNIT, text)
    if re.match(r"^(o|ou)-", text):
        raise Refused(
            f"{text!r}: give the ARN, not the id (arn:aws:organizations::ACCOUNT:"
            "organization/o-... or ...:ou/o-.../ou-...)"
        )
    raise Refused(
        f"{text!r} is neither a 12-digit account id, an organization ARN "
        "(arn:aws:organizations::ACCOUNT:organization/o-...) nor an OU ARN "
        "(arn:aws:organizations::ACCOUNT:ou/o-.../ou-...)"
    )


def grantees(value: Any) -> tuple[Grantee, ...]:
    found = [grantee(item) for item in _items(value, "account ids or ARNs")]
    return tuple(dict.fromkeys(found))


def days(value: Any) -> int:
    if isinstance(value, bool):
        raise Refused(f"expected a number of days, got {value!r}")
    text = _text(value)
    if not text.isdigit():
        raise Refused(f"{text!r} is not a whole number of days")
    count = int(text)
    if not 1 <= count <= MAX_DEPRECATE_DAYS:
        raise Refused(
            f"{count} days: from 1 to {MAX_DEPRECATE_DAYS} (the service deprecates at most 10 "
            "years ahead)"
        )
    return count


def moment(value: Any) -> datetime.datetime:
    """A date (midnight UTC) or a time (UTC unless it says its offset), as a UTC datetime."""
    if isinstance(value, datetime.datetime):
        found = value
    elif isinstance(value, datetime.date):
        found = datetime.datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        try:
            found = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise Refused(
                f"{text!r} is not a date (YYYY-MM-DD) or a time in UTC (YYYY-MM-DDTHH:MM:SSZ)"
            ) from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=datetime.UTC)
    return found.astimezone(datetime.UTC)


def owner(value: Any) -> str:
    text = _text(value)
    if not OWNER.match(text):
        raise Refused(
            f"{text!r} cannot be an owner: ASCII letters, digits, '.', '_' and '-', starting "
            "with a letter or digit, at most 128 characters"
        )
    return text


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "ami_name": ami_name,
    "copy_to_region": regions,
    "copy_kms_key": kms_keys,
    "share_with": grantees,
    "unshare": grantees,
    "deprecate_after": days,
    "deprecate_at": moment,
    "deregistration_protection": flag,
    "imds_v2": flag,
    "owner": owner,
}


def problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with the keys together (each a key and a message)."""
    found: list[tuple[str, str]] = []
    both = set(values.get("share_with", ())) & set(values.get("unshare", ()))
    if both:
        names = ", ".join(sorted(str(g) for g in both))
        found.append(("unshare", f"{names}: both shared and unshared"))
    if values.get("deprecate_after") is not None and values.get("deprecate_at") is not None:
        found.append(("deprecate_at", "cannot be given with deprecate_after"))
    copied = set(values.get("copy_to_region", ()))
    for where, _ in values.get("copy_kms_key", ()):
        if where not in copied and values.get("ami_name") is None:
            found.append(
                (
                    "copy_kms_key",
                    f"{where}: no copy is made there (give it in copy_to_region; in the "
                    "import's own Region a key applies to the copy --ami-name makes)",
                )
            )
    return found


def distribution(values: Mapping[str, Any]) -> Distribution:
    """The record of the converted keys given (the others keep their defaults)."""
    return Distribution(**{key: values[key] for key in KEYS if key in values})
