"""The drop-in's loader: the pinned model, then botocore's data through a view in the cache."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import Loader, create_loader

from ec2_import_image.dropin.service import datapath, endpoints
from ec2_import_image.dropin.service.session import SERVICES_USED
from ec2_import_image.model.shapes import DATA_PATH, load_model
from tests.support.dropin_session import drop_in_client, isolated


def cache_env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


def views(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "cache" / "ec2-import-image").iterdir())


# -- botocore's own data ------------------------------------------------------------


def test_the_pinned_model_comes_first_then_botocores_data_for_the_services_used(
    tmp_path: Path,
) -> None:
    loader = datapath.create_loader(SERVICES_USED, cache_env(tmp_path))
    pinned, customer, view = loader.search_paths
    assert (pinned, customer) == (DATA_PATH, Loader.CUSTOMER_DATA_PATH)
    assert Path(view).parent == tmp_path / "cache" / "ec2-import-image"
    # a handful of directories to list, not botocore's 400
    assert loader.list_available_services("service-2") == sorted(SERVICES_USED)
    assert loader.load_service_model("ec2", "service-2") == load_model().raw
    assert loader.load_service_model("ec2", "paginators-1")["pagination"] == {
        **load_model().pagination,
        # botocore's own additions to EC2's paginators, for operations the model has not
        **create_loader().load_data("ec2/2016-11-15/paginators-1.sdk-extras")["merge"][
            "pagination"
        ],
    }
    whole = create_loader()
    for name in ("_retry", "partitions", "sdk-default-configuration"):
        assert loader.load_data(name) == whole.load_data(name)
    assert loader.load_service_model("sts", "service-2") == whole.load_service_model(
        "sts", "service-2"
    )
    reduced, path = loader.load_data_with_path("endpoints")
    assert reduced == endpoints.reduce(whole.load_data("endpoints"), SERVICES_USED)
    # botocore resolves endpoints from it as from its own bundled file
    assert path == os.path.join(view, "endpoints") and loader.is_builtin_path(path)


def test_the_view_is_made_once(tmp_path: Path) -> None:
    first = datapath.create_loader(SERVICES_USED, cache_env(tmp_path)).search_paths[-1]
    made = os.stat(os.path.join(first, "endpoints.json"))
    again = datapath.create_loader(SERVICES_USED, cache_env(tmp_path)).search_paths[-1]
    assert again == first
    assert os.stat(os.path.join(again, "endpoints.json")).st_mtime_ns == made.st_mtime_ns
    assert views(tmp_path) == [Path(first).name]


@pytest.mark.parametrize("blocked", ["file", "symlinks"])
def test_without_a_view_the_loader_reads_botocores_data_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocked: str
) -> None:
    environ = cache_env(tmp_path)
    if blocked == "file":
        (tmp_path / "cache").write_text("")  # no directory can be made there
    else:

        def no_symlinks(*args: Any) -> None:
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr(os, "symlink", no_symlinks)
    loader = datapath.create_loader(SERVICES_USED, environ)
    assert loader.search_paths == [DATA_PATH, Loader.CUSTOMER_DATA_PATH, Loader.BUILTIN_DATA_PATH]
    assert loader.load_service_model("ec2", "service-2") == load_model().raw
    assert loader.load_data("endpoints") == create_loader().load_data("endpoints")
    if blocked == "symlinks":
        assert views(tmp_path) == []  # nothing half made left behind


def test_a_newer_ec2_api_version_in_botocore_does_not_replace_the_pinned_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client is created for the pinned model's API version, not botocore's latest."""
    builtin = Path(Loader.BUILTIN_DATA_PATH)
    newer = tmp_path / "botocore-data"
    newer.mkdir()
    for entry in builtin.iterdir():
        if entry.name != "ec2":
            (newer / entry.name).symlink_to(entry)
    (newer / "ec2").mkdir()
    for version in (builtin / "ec2").iterdir():
        (newer / "ec2" / version.name).symlink_to(version)
    later = newer / "ec2" / "2099-01-01"
    later.mkdir()
    (later / "service-2.json").write_text(
        json.dumps({**load_model().raw, "operations": {}, "shapes": {}})
    )
    monkeypatch.setattr(Loader, "BUILTIN_DATA_PATH", str(newer))
    monkeypatch.setattr(Loader, "CUSTOMER_DATA_PATH", str(tmp_path / "models"))
    assert create_loader().determine_latest_version("ec2", "service-2") == "2099-01-01"
    with isolated(tmp_path):
        client = drop_in_client()
    assert client.meta.service_model.api_version == "2016-11-15"
    assert len(client.meta.service_model.operation_names) == 3


# -- a botocore of the tests' own -----------------------------------------------------


def _partition(name: str, services: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": name,
        "dnsSuffix": "example.com",
        "regionRegex": "^x-",
        "regions": {"x-1": {}},
        "services": services,
    }


GOOD = {"partitions": [_partition("a", {"ec2": {"endpoints": {"x-1": {}}}, "s3": {}})]}
REDUCED = {"partitions": [_partition("a", {"ec2": {"endpoints": {"x-1": {}}}})]}


class Botocore:
    """A data directory in botocore's layout: two services, the endpoints, a retry file."""

    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path / "data"
        for service in ("ec2", "s3"):
            (self.data / service / "2001-01-01").mkdir(parents=True)
            (self.data / service / "2001-01-01" / "service-2.json").write_text("{}")
        (self.data / "_retry.json").write_text("{}")
        self.endpoints = self.data / "endpoints.json"
        self.endpoints.write_text(json.dumps(GOOD))
        self.environ = cache_env(tmp_path)

    def view(self) -> Path:
        path = datapath.data_view(str(self.data), {"ec2"}, self.environ)
        assert path is not None
        return Path(path)


def test_a_view_links_the_services_used_and_botocores_other_files(tmp_path: Path) -> None:
    botocore = Botocore(tmp_path)
    view = botocore.view()
    assert sorted(p.name for p in view.iterdir()) == ["_retry.json", "ec2", "endpoints.json"]
    assert os.readlink(view / "ec2") == str(botocore.data / "ec2")
    assert os.readlink(view / "_retry.json") == str(botocore.data / "_retry.json")
    assert json.loads((view / "endpoints.json").read_text()) == REDUCED


def test_changed_data_gets_a_new_view(tmp_path: Path) -> None:
    botocore = Botocore(tmp_path)
    first = botocore.view()
    botocore.endpoints.write_text(json.dumps({"partitions": [_partition("b", {"ec2": {}})]}))
    os.utime(botocore.endpoints, ns=(1, 1))
    second = botocore.view()
    assert second != first
    assert json.loads((second / "endpoints.json").read_text())["partitions"][0]["partition"] == "b"


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _relink(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


def _replace_link(path: Path) -> None:
    path.unlink()
    path.write_text("")


BREAKAGES: dict[str, Callable[[Path, Path], None]] = {
    "endpoints not JSON": lambda v, d: _write(v / "endpoints.json", "{"),
    "endpoints a list": lambda v, d: _write(v / "endpoints.json", "[]"),
    "partitions of strings": lambda v, d: _write(v / "endpoints.json", '{"partitions": ["aws"]}'),
    "a service's endpoints a list": lambda v, d: _write(
        v / "endpoints.json",
        json.dumps({"partitions": [_partition("a", {"ec2": {"endpoints": ["x-1"]}})]}),
    ),
    "no endpoints": lambda v, d: (v / "endpoints.json").unlink(),
    "a link gone": lambda v, d: (v / "ec2").unlink(),
    "a link elsewhere": lambda v, d: _relink(v / "ec2", d / "s3"),
    "a file for a link": lambda v, d: _replace_link(v / "_retry.json"),
    "something more": lambda v, d: (v / "s3").symlink_to(d / "s3"),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_view_of_the_wrong_shape_is_made_again(tmp_path: Path, breakage: str) -> None:
    botocore = Botocore(tmp_path)
    view = botocore.view()
    BREAKAGES[breakage](view, botocore.data)
    assert botocore.view() == view
    assert sorted(p.name for p in view.iterdir()) == ["_retry.json", "ec2", "endpoints.json"]
    assert os.readlink(view / "ec2") == str(botocore.data / "ec2")
    assert json.loads((view / "endpoints.json").read_text()) == REDUCED
    assert views(tmp_path) == [view.name]  # nothing left aside


def test_runs_started_together_share_one_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view another run put in place while this one made its own is kept, not replaced."""
    botocore = Botocore(tmp_path)
    build = datapath._build_view
    theirs: list[tuple[Path, int]] = []

    def build_while_another_run_does(*args: Any) -> None:
        build(*args)
        if not theirs:  # the other run, started at the same time, finishes first
            monkeypatch.setattr(datapath, "_build_view", build)
            view = botocore.view()
            theirs.append((view, (view / "endpoints.json").stat().st_ino))

    monkeypatch.setattr(datapath, "_build_view", build_while_another_run_does)
    mine = botocore.view()
    assert theirs == [(mine, (mine / "endpoints.json").stat().st_ino)]
    assert views(tmp_path) == [mine.name]


def test_a_view_is_read_only_from_the_users_own_cache(tmp_path: Path) -> None:
    botocore = Botocore(tmp_path)
    view = botocore.view()
    directory = view.parent
    directory.chmod(0o777)
    try:
        assert datapath.data_view(str(botocore.data), {"ec2"}, botocore.environ) == str(view)
        # narrowed back to 0700 when the view was made again
        assert directory.stat().st_mode & 0o777 == 0o700
    finally:
        directory.chmod(0o700)


def test_no_endpoints_file_no_view(tmp_path: Path) -> None:
    botocore = Botocore(tmp_path)
    botocore.endpoints.unlink()
    assert datapath.data_view(str(botocore.data), {"ec2"}, botocore.environ) is None
