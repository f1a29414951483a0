"""Commands written to work when pasted: quoted, carrying the run's options, extracting a disk
from its OVA first."""

from __future__ import annotations

import shlex

from ec2_import_image.shellcommand import DiskFile, Reach, command


def test_every_word_is_quoted_and_the_reach_options_follow_the_words() -> None:
    reach = Reach("eu-west-1", "http://127.0.0.1:5000", "dev")
    line = command("aws", "s3", "rm", "s3://b/my disk!.vmdk", reach=reach)
    assert line == (
        "aws s3 rm 's3://b/my disk!.vmdk' --region eu-west-1 "
        "--endpoint-url http://127.0.0.1:5000 --profile dev"
    )
    assert shlex.split(line)[3] == "s3://b/my disk!.vmdk"
    assert command("vmimport", "check", "web.vmdk") == "vmimport check web.vmdk"


def test_the_reach_of_a_run_takes_the_profile_from_the_environment() -> None:
    given = Reach.of(region="us-east-1", endpoint_url=None, profile=None, environ={})
    assert given.options() == ("--region", "us-east-1")
    from_env = Reach.of(
        region=None, endpoint_url="", profile=None, environ={"AWS_PROFILE": "migration"}
    )
    assert from_env.options() == ("--profile", "migration")
    named = Reach.of(region=None, endpoint_url=None, profile="p", environ={"AWS_PROFILE": "x"})
    assert named.options() == ("--profile", "p")


def test_a_disk_inside_an_ova_is_extracted_before_the_command_that_reads_it() -> None:
    inside = DiskFile.inside("exports/web.ova", "exports/web.ova!vm/disk-1.vmdk")
    assert inside == DiskFile("vm/disk-1.vmdk", "exports/web.ova")
    assert inside.then("qemu-img", "info", inside.path) == (
        "tar -xf exports/web.ova vm/disk-1.vmdk && qemu-img info vm/disk-1.vmdk"
    )
    alone = DiskFile("exports/web.vmdk")
    assert alone.then("qemu-img", "info", alone.path) == "qemu-img info exports/web.vmdk"
