"""An offline VM Import emulator: ``ec2-import-emulator``.

One endpoint on 127.0.0.1 serves S3, IAM, STS and EC2 through moto's server
and adds the VM Import API moto lacks (ImportImage, DescribeImportImageTasks,
CancelImportTask).  Nothing in the command-line tool imports this package;
it needs the ``emulator`` extra (moto with its server).  See docs/emulator.md.
"""
