"""The reduced endpoints data resolves every endpoint the tool uses as botocore's does.

Where it is kept, and how a copy of the wrong shape is made again: test_datapath.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

from ec2_import_image.dropin.service import endpoints
from ec2_import_image.dropin.service.session import SERVICES_USED


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


def test_the_reduced_data_has_the_shape_the_cache_checks(full: Any) -> None:
    assert endpoints.is_endpoints_data(endpoints.reduce(full, SERVICES_USED))
