"""The EXAMPLES of each command's page: this project's own examples.

Each example is a title, a sentence, the command (as typed with ``aws``) and,
when useful, a file it reads and the output it prints.  On the page of the
``ec2-import-image`` program, ``aws ec2 import-image`` reads
``ec2-import-image``.
"""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    title: str
    text: str
    command: str
    output: str = ""
    #: (file name, content) of a file the command reads
    file: tuple[str, str] | None = None


_TASK = "import-ami-0123456789abcdef0"

EXAMPLES: dict[str, tuple[Example, ...]] = {
    "import-image": (
        Example(
            "To import one VMDK disk stored in S3",
            "This starts an import task for a single disk and keeps the source-system "
            "license. The task runs for a while after the command returns; follow it with "
            "describe-import-image-tasks.",
            "aws ec2 import-image \\\n"
            '    --description "web server" \\\n'
            "    --license-type BYOL \\\n"
            '    --disk-containers "Format=vmdk,'
            'UserBucket={S3Bucket=my-import-bucket,S3Key=disks/web.vmdk}"',
            "{\n"
            '    "Description": "web server",\n'
            f'    "ImportTaskId": "{_TASK}",\n'
            '    "LicenseType": "BYOL",\n'
            '    "Progress": "1",\n'
            '    "SnapshotDetails": [\n'
            "        {\n"
            '            "DiskImageSize": 0.0,\n'
            '            "Format": "VMDK",\n'
            '            "UserBucket": {\n'
            '                "S3Bucket": "my-import-bucket",\n'
            '                "S3Key": "disks/web.vmdk"\n'
            "            }\n"
            "        }\n"
            "    ],\n"
            '    "Status": "active",\n'
            '    "StatusMessage": "pending"\n'
            "}",
        ),
        Example(
            "To import a two-disk VM described in a file and print only the task ID",
            "The disks are listed in a JSON file, boot disk first. --query and --output text "
            "reduce the output to the ID, ready for a shell variable.",
            "aws ec2 import-image \\\n"
            "    --boot-mode uefi \\\n"
            "    --disk-containers file://disks.json \\\n"
            "    --query ImportTaskId --output text",
            "import-ami-0fedcba9876543210",
            (
                "disks.json",
                "[\n"
                "  {\n"
                '    "Description": "boot disk",\n'
                '    "Format": "vhdx",\n'
                '    "UserBucket": {"S3Bucket": "my-import-bucket", "S3Key": "db/boot.vhdx"}\n'
                "  },\n"
                "  {\n"
                '    "Description": "data disk",\n'
                '    "Format": "vhdx",\n'
                '    "UserBucket": {"S3Bucket": "my-import-bucket", "S3Key": "db/data.vhdx"}\n'
                "  }\n"
                "]",
            ),
        ),
    ),
    "describe-import-image-tasks": (
        Example(
            "To follow one import task",
            "This shows the state and progress of one task.",
            f"aws ec2 describe-import-image-tasks --import-task-ids {_TASK}",
            "{\n"
            '    "ImportImageTasks": [\n'
            "        {\n"
            '            "Description": "web server",\n'
            f'            "ImportTaskId": "{_TASK}",\n'
            '            "Progress": "28",\n'
            '            "SnapshotDetails": [\n'
            "                {\n"
            '                    "DiskImageSize": 8589934592.0,\n'
            '                    "Format": "VMDK",\n'
            '                    "Status": "active",\n'
            '                    "UserBucket": {\n'
            '                        "S3Bucket": "my-import-bucket",\n'
            '                        "S3Key": "disks/web.vmdk"\n'
            "                    }\n"
            "                }\n"
            "            ],\n"
            '            "Status": "active",\n'
            '            "StatusMessage": "converting"\n'
            "        }\n"
            "    ]\n"
            "}",
        ),
        Example(
            "To list the active import tasks, one line each",
            "Every page of results is fetched; the query keeps three fields of each task.",
            "aws ec2 describe-import-image-tasks \\\n"
            "    --filters Name=task-state,Values=active \\\n"
            '    --query "ImportImageTasks[].[ImportTaskId,Status,Progress]" --output text',
            f"{_TASK}\tactive\t28\nimport-ami-0fedcba9876543210\tactive\t2",
        ),
    ),
    "cancel-import-task": (
        Example(
            "To cancel an import task",
            "The task moves to the deleting state; its partial resources are cleaned up.",
            "aws ec2 cancel-import-task \\\n"
            f"    --import-task-id {_TASK} \\\n"
            '    --cancel-reason "wrong disk"',
            "{\n"
            f'    "ImportTaskId": "{_TASK}",\n'
            '    "PreviousState": "active",\n'
            '    "State": "deleting"\n'
            "}",
        ),
    ),
}


EXAMPLES["image-import-completed"] = (
    Example(
        "To wait until an import task is completed",
        "The command returns once the task is completed (exit 0), or fails when it is "
        "deleted; it prints nothing on standard output, and its progress on standard error.",
        f"aws ec2 wait image-import-completed --import-task-ids {_TASK}",
    ),
)


def examples_for(operation: str, program: str) -> tuple[Example, ...]:
    """The examples of ``operation``, with commands written for ``program``."""
    examples = EXAMPLES.get(operation, ())
    if program == "aws":
        return examples
    prefix = f"aws ec2 {operation}"
    if program != "aws" and operation != "import-image":
        return ()
    return tuple(
        Example(e.title, e.text, e.command.replace(prefix, program, 1), e.output, e.file)
        for e in examples
    )
