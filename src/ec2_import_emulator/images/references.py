"""DescribeImageReferences: the account's resources that use the given AMIs.

The API reference and the user guide ("Identify your resources referencing
specified AMIs"): ``ImageIds`` and either ``IncludeAllResourceTypes`` or
``ResourceTypes``; the resource types are ``ec2:Instance`` (option
``state-name``: which instance states count, all by default),
``ec2:LaunchTemplate`` (option ``version-depth``: how many of the newest
versions are checked, 10 by default, 1 to 10,000), ``ssm:Parameter``,
``imagebuilder:ImageRecipe`` and ``imagebuilder:ContainerRecipe``.  Each
reference is the image id, the resource type and the resource's ARN.
Instances and launch templates are moto's (RunInstances, CreateLaunchTemplate
on the same endpoint); moto has no image references in Systems Manager or
Image Builder, so those types answer nothing.  ``MaxResults`` is at least 5
(the model's ``DescribeImageReferencesMaxResults``).
"""

from __future__ import annotations

from typing import Any

from ec2_import_emulator import errors as common
from ec2_import_emulator.images import errors, moto_ec2, paging, rules, sharing

INSTANCE = "ec2:Instance"
LAUNCH_TEMPLATE = "ec2:LaunchTemplate"
RESOURCE_TYPES = (
    INSTANCE,
    LAUNCH_TEMPLATE,
    "ssm:Parameter",
    "imagebuilder:ImageRecipe",
    "imagebuilder:ContainerRecipe",
)
INSTANCE_STATES = ("pending", "running", "shutting-down", "terminated", "stopping", "stopped")
DEFAULT_DEPTH = 10
MAX_DEPTH = 10000
MIN_RESULTS = 5
MAX_RESULTS = 1000


def _options(entry: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for option in entry.get("ResourceTypeOptions", []):
        name = rules.choice("OptionName", option.get("OptionName"), ("state-name", "version-depth"))
        if name is not None:
            found[name] = list(option.get("OptionValues", []))
    return found


def _scopes(params: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    scopes: dict[str, dict[str, list[str]]] = {}
    if params.get("IncludeAllResourceTypes"):
        scopes = {kind: {} for kind in RESOURCE_TYPES}
    for entry in params.get("ResourceTypes", []):
        kind = rules.choice("ResourceType", entry.get("ResourceType"), RESOURCE_TYPES)
        if kind is not None:
            scopes[kind] = _options(entry)
    if not scopes:
        raise errors.references_scope()
    return scopes


def _depth(options: dict[str, list[str]]) -> int:
    values = options.get("version-depth") or [str(DEFAULT_DEPTH)]
    text = values[0]
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEPTH:
        raise common.invalid_value("version-depth", text, ("1 to 10000",))
    return int(text)


def describe_references(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    image_ids = [rules.check_image_id(i) for i in params.get("ImageIds", [])]
    if not image_ids:
        raise common.missing_parameter("ImageId")
    scopes = _scopes(params)
    limit = params.get("MaxResults")
    if limit is not None and not MIN_RESULTS <= limit <= MAX_RESULTS:
        raise errors.max_results(limit, MIN_RESULTS, MAX_RESULTS)
    missing = [i for i in image_ids if sharing.find_visible(account, region, i) is None]
    if missing:
        raise errors.image_not_found(missing)
    references: list[dict[str, str]] = []
    for image_id in image_ids:
        if INSTANCE in scopes:
            states = scopes[INSTANCE].get("state-name")
            for value in states or []:
                rules.choice("state-name", value, INSTANCE_STATES)
            for launched in moto_ec2.instances_of(account, region, image_id):
                if states and launched.state not in states:
                    continue
                references.append(
                    {
                        "ImageId": image_id,
                        "ResourceType": INSTANCE,
                        "Arn": f"arn:aws:ec2:{region}:{account}:instance/{launched.instance_id}",
                    }
                )
        if LAUNCH_TEMPLATE in scopes:
            depth = _depth(scopes[LAUNCH_TEMPLATE])
            for template_id in moto_ec2.launch_templates_of(account, region, image_id, depth):
                references.append(
                    {
                        "ImageId": image_id,
                        "ResourceType": LAUNCH_TEMPLATE,
                        "Arn": f"arn:aws:ec2:{region}:{account}:launch-template/{template_id}",
                    }
                )
    return _page(references, limit, params.get("NextToken"))


def _page(references: list[dict[str, str]], limit: int | None, given: str | None) -> dict[str, Any]:
    start = paging.offset("references", given, len(references))
    end = len(references) if limit is None else start + limit
    result: dict[str, Any] = {"ImageReferences": references[start:end]}
    if end < len(references):
        result["NextToken"] = paging.token("references", end)
    return result
