"""``python -m ec2_import_image``: the ``aws`` drop-in."""

from ec2_import_image.entry import aws_main

if __name__ == "__main__":
    aws_main()
