"""The reduced, cached endpoints data resolves every endpoint the tool uses as botocore's does."""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

from ec2_import_image.dropin.service import endpoints
from ec2_import_image.dropin.service.session import SERVICES_USED, _pinned_loader_class


def pinned_loader(cache_home: Path) -> Any:
    """The drop-in's loader, its cache under ``cache_home`` (``XDG_CACHE_HOME``)."""
    loader = _pinned_loader_class()()
    loader.environ = {"XDG_CACHE_HOME": str(cache_home)}
    return loader


@pytest.fixture
def full() -> Any:
    """botocore's whole endpoints data, fresh (its resolver may change what it is given)."""
    data, _ = create_loader().load_data_with_path("endpoints")
    return data


def test_every_partition_is_kept_with_only_the_services_used(full: Any) -> None:
    reduced = endpoints.reduce(full, SERVICES_USED)
    assert [p["partition"] for p in reduced["partitions"]] == [
        p["partition"] for p in full["partitions"]
    ]
    for partition in reduced["partitions"]:
        assert set(partition["services"]) <= SERVICES_USED
        assert "ec2" in partition["services"]


def test_the_reduced_data_resolves_as_the_whole_file(full: Any) -> None:
    whole = EndpointResolver(full)
    reduced = EndpointResolver(endpoints.reduce(full, SERVICES_USED))
    checked = 0
    for partition in full["partitions"]:
        for region in partition["regions"]:
            for service in sorted(SERVICES_USED):
                for fips in (False, True):
                    expected = whole.construct_endpoint(service, region, use_fips_endpoint=fips)
                    got = reduced.construct_endpoint(service, region, use_fips_endpoint=fips)
                    assert got == expected, (service, region, fips)
                    checked += 1
    assert checked > 100


def test_the_loader_caches_the_reduced_copy(tmp_path: Path, full: Any) -> None:
    first, path = pinned_loader(tmp_path).load_data_with_path("endpoints")
    files = list((tmp_path / "ec2-import-image").iterdir())
    assert len(files) == 1
    second, path_again = pinned_loader(tmp_path).load_data_with_path("endpoints")
    assert second == first
    assert path_again == path
    assert first == endpoints._plain(endpoints.reduce(full, SERVICES_USED))


def _partition(name: str, services: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": name,
        "dnsSuffix": "example.com",
        "regionRegex": "^x-",
        "regions": {"x-1": {}},
        "services": services,
    }


class Source:
    """An endpoints file and the reads of it the loader makes; the cache under ``cache``."""

    def __init__(self, directory: Path, cache: Path) -> None:
        directory.mkdir()
        self.environ = {"XDG_CACHE_HOME": str(cache)}
        self.directory = directory
        self.path = directory / "endpoints.json"
        self.reads = 0

    def write(self, data: Any) -> None:
        self.path.write_text(json.dumps(data))

    def load_full(self) -> tuple[Any, str]:
        self.reads += 1
        return json.loads(self.path.read_text()), str(self.path)[: -len(".json")]

    def reduced(self) -> Any:
        data, _ = endpoints.reduced_endpoints(
            [str(self.directory)], {"ec2"}, self.load_full, self.environ
        )
        return data


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    source = Source(tmp_path / "data", tmp_path / "cache")
    source.write({"partitions": [_partition("a", {"ec2": {}, "s3": {}})]})
    one = source.reduced()
    source.reduced()
    assert source.reads == 1 and one["partitions"][0]["services"] == {"ec2": {}}
    source.write({"partitions": [_partition("b", {"ec2": {"endpoints": {"x-1": {}}}})]})
    os.utime(source.path, ns=(1, 1))
    two = source.reduced()
    assert source.reads == 2 and two["partitions"][0]["partition"] == "b"


@pytest.mark.parametrize(
    "wrong",
    [
        {"partitions": ["aws"]},  # "string indices must be integers" in botocore, once
        {"partitions": {"aws": {}}},
        {"partitions": [{"partition": "a"}]},
        {"partitions": [_partition("a", {"ec2": []})]},
        {"partitions": [_partition("a", {"ec2": {"endpoints": ["x-1"]}})]},
        {"partitions": [{**_partition("a", {}), "regions": ["x-1"]}]},
        [],
        "endpoints",
    ],
)
def test_an_entry_of_the_wrong_shape_is_rebuilt(tmp_path: Path, wrong: Any) -> None:
    source = Source(tmp_path / "data", tmp_path / "cache")
    good = {"partitions": [_partition("a", {"ec2": {"endpoints": {"x-1": {}}}})]}
    source.write(good)
    assert source.reduced() == good
    (entry,) = (tmp_path / "cache" / "ec2-import-image").glob("endpoints-*.marshal")
    entry.write_bytes(marshal.dumps(wrong))
    assert source.reduced() == good
    assert source.reads == 2
    assert marshal.loads(entry.read_bytes()) == good  # written anew
    assert source.reduced() == good
    assert source.reads == 2


def test_the_reduced_data_has_the_shape_the_cache_checks(full: Any) -> None:
    assert endpoints.is_endpoints_data(endpoints._plain(endpoints.reduce(full, SERVICES_USED)))


def test_an_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    # a file: no directory can be made
    data, _ = pinned_loader(blocked).load_data_with_path("endpoints")
    assert data["partitions"]
