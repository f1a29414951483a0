"""Profile names for ``--profile``: the config file's and the credentials file's.

The config file is ``AWS_CONFIG_FILE`` (default ``~/.aws/config``), with
``[default]`` and ``[profile NAME]`` sections; the credentials file is
``AWS_SHARED_CREDENTIALS_FILE`` (default ``~/.aws/credentials``), with
``[NAME]`` sections.  Unreadable files give no names.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping

from ec2_import_image.awsconfig.files import config_path, credentials_path


def _sections(path: str) -> list[str]:
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return []
    return parser.sections()


def profile_names(environ: Mapping[str, str]) -> list[str]:
    """Every profile the two files define, config file first, without repeats."""
    names: list[str] = []
    for section in _sections(config_path(environ)):
        if section == "default":
            names.append(section)
        elif section.startswith("profile "):
            names.append(section[len("profile ") :].strip())
    names.extend(_sections(credentials_path(environ)))
    return list(dict.fromkeys(name for name in names if name))
