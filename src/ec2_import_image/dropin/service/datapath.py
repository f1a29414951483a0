"""Where the drop-in's botocore loader finds its data: the pinned model, then botocore's own.

botocore's data loader looks a name up in its search paths, in order, and
takes the first file found (``botocore.loaders.Loader``: its
``extra_search_paths`` come before its defaults, ``~/.aws/models`` and
botocore's own ``data`` directory).  The drop-in reaches its pinned model
through that public route, not by overriding the loader's methods: the model
is shipped in botocore's layout (``ec2_import_image/model/data``), and that
directory is the first search path of the loader the session is given.  Not
through ``AWS_DATA_PATH``: a variable put in the environment would reach the
real AWS CLI that the hand-over runs, which would then load a
three-operation EC2 model and fail every other EC2 command.

The other search paths serve start-up.  Before it reads a model, botocore's
loader lists every directory of every search path to check that the service
exists, once for each kind of model a run reads (the service model, its
endpoint rules, its paginators): over 400 service directories each time,
about 33 ms (docs/performance.md).  And the endpoint resolver is built from
``endpoints.json``, 1.2 MB of JSON for every service of every partition
(about 45 ms).  So botocore's data is seen through a *view*: a directory in
the tool's cache (``ec2_import_image.dropin.cache``) holding links to
botocore's directories of the services the tool calls (EC2 and the
credential providers', ``session.SERVICES_USED``), links to botocore's other
top-level data files (retry rules, partitions, default configurations), and
``endpoints.json`` reduced to those services (``endpoints.py``: every
partition kept, each endpoint of those services resolved as from the whole
file).  The search paths are then the pinned model, ``~/.aws/models`` and the
view, and the loader lists a handful of directories.

The view stands for botocore's own data, and the loader is told so (its
``BUILTIN_DATA_PATH``): botocore resolves endpoints differently when the
endpoints file is not its bundled one (the endpoint of the old resolver is
handed to the endpoint rules as if the user had given it, and the rules then
refuse ``AWS_USE_FIPS_ENDPOINT``), and the reduced file resolves as the
bundled one does.  The loader's ``is_builtin_path`` is asked whether it now
counts the view's endpoints file as its own; when a botocore answers no, the
view is not used.

A view is named by botocore's data directory and its endpoints file (paths,
sizes, modification times) and the services, so another botocore gets
another view.  Before it is used it is checked: the links it should have,
pointing where they should, and an endpoints file of the shape botocore's
resolver reads; a view refused is made again.  A view that cannot be made or
used (no cache directory, no symbolic links) is not an error: the loader
then reads botocore's data directory itself, slower, with the same answers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from functools import partial
from typing import TYPE_CHECKING

from ec2_import_image.dropin import cache
from ec2_import_image.dropin.service import endpoints
from ec2_import_image.model.shapes import DATA_PATH

if TYPE_CHECKING:
    from botocore.loaders import Loader

#: the name botocore's loader reads the endpoints data by (a ``.json`` or ``.json.gz`` file)
ENDPOINTS = "endpoints"
#: the reduced endpoints file in a view
VIEW_ENDPOINTS = f"{ENDPOINTS}.json"


def create_loader(services: Collection[str], environ: Mapping[str, str]) -> Loader:
    """botocore's loader: the pinned model first, then botocore's data for ``services``.

    ``environ`` says where the tool's cache, and so the view, is.
    """
    from botocore.loaders import Loader

    view = data_view(Loader.BUILTIN_DATA_PATH, services, environ)
    if view is not None:
        loader = Loader(
            extra_search_paths=[DATA_PATH, Loader.CUSTOMER_DATA_PATH, view],
            include_default_search_paths=False,
        )
        loader.BUILTIN_DATA_PATH = view
        if loader.is_builtin_path(os.path.join(view, ENDPOINTS)):
            return loader
    return Loader(extra_search_paths=[DATA_PATH])


def data_view(builtin: str, services: Collection[str], environ: Mapping[str, str]) -> str | None:
    """The view of botocore's data directory ``builtin`` for ``services`` (None: none made)."""
    try:
        links, endpoint_files = _view_sources(builtin, services)
    except OSError:
        return None
    if not endpoint_files:
        return None
    name = cache.directory_key("botocore-data", [builtin, *endpoint_files], *sorted(services))
    check = partial(is_view, links)
    found = cache.load_directory(name, check, environ)
    if found is not None:
        return found
    build = partial(_build_view, links, os.path.join(builtin, ENDPOINTS), services)
    return cache.store_directory(name, build, check, environ)


def _view_sources(builtin: str, services: Collection[str]) -> tuple[dict[str, str], list[str]]:
    """What a view links to, by name, and botocore's endpoints files (read, not linked).

    Every top-level file of botocore's data but the endpoints, and the
    directories of ``services``.
    """
    links: dict[str, str] = {}
    endpoint_files: list[str] = []
    with os.scandir(builtin) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name in services:
                    links[entry.name] = entry.path
            elif entry.name.split(".", 1)[0] == ENDPOINTS:
                endpoint_files.append(entry.path)
            else:
                links[entry.name] = entry.path
    return links, sorted(endpoint_files)


def _build_view(
    links: Mapping[str, str], endpoints_path: str, services: Collection[str], target: str
) -> None:
    from botocore.loaders import JSONFileLoader

    for name, source in links.items():
        os.symlink(source, os.path.join(target, name))
    full = JSONFileLoader().load_file(endpoints_path)
    if full is None:
        raise FileNotFoundError(endpoints_path)
    with open(os.path.join(target, VIEW_ENDPOINTS), "w", encoding="utf-8") as out:
        json.dump(endpoints.reduce(full, services), out)


def is_view(links: Mapping[str, str], path: str) -> bool:
    """Whether ``path`` holds exactly these links and reduced endpoints botocore can read."""
    if set(os.listdir(path)) != {*links, VIEW_ENDPOINTS}:
        return False
    for name, source in links.items():
        if os.readlink(os.path.join(path, name)) != source:
            return False
    with open(os.path.join(path, VIEW_ENDPOINTS), encoding="utf-8") as handle:
        return endpoints.is_endpoints_data(json.load(handle))
