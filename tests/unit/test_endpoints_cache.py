"""The reduced, cached endpoints data resolves every endpoint the tool uses as botocore's does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

from ec2_import_image.dropin.service import endpoints
from ec2_import_image.dropin.service.session import SERVICES_USED, _pinned_loader_class


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


def test_the_loader_caches_the_reduced_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: Any
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first, path = _pinned_loader_class()().load_data_with_path("endpoints")
    files = list((tmp_path / "ec2-import-image").iterdir())
    assert len(files) == 1
    second, path_again = _pinned_loader_class()().load_data_with_path("endpoints")
    assert second == first
    assert path_again == path
    assert first == endpoints._plain(endpoints.reduce(full, SERVICES_USED))


def test_a_changed_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    source = data_dir / "endpoints.json"
    source.write_text('{"partitions": [{"partition": "a", "services": {"ec2": {}, "s3": {}}}]}')
    calls: list[int] = []

    def load_full() -> tuple[Any, str]:
        import json

        calls.append(1)
        return json.loads(source.read_text()), str(source)[: -len(".json")]

    one, _ = endpoints.reduced_endpoints([str(data_dir)], {"ec2"}, load_full)
    endpoints.reduced_endpoints([str(data_dir)], {"ec2"}, load_full)
    assert len(calls) == 1 and one["partitions"][0]["services"] == {"ec2": {}}
    source.write_text('{"partitions": [{"partition": "b", "services": {"ec2": {"x": 1}}}]}')
    os.utime(source, ns=(1, 1))
    two, _ = endpoints.reduced_endpoints([str(data_dir)], {"ec2"}, load_full)
    assert len(calls) == 2 and two["partitions"][0]["partition"] == "b"


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file: no directory can be made
    data, _ = _pinned_loader_class()().load_data_with_path("endpoints")
    assert data["partitions"]
