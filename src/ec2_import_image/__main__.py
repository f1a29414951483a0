"""``python -m ec2_import_image``: the ``aws`` drop-in."""

from ec2_import_image.dropin.entry import aws_main

if __name__ == "__main__":
    aws_main()
