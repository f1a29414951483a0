"""``python -m ec2_import_image.vmimport``."""

from ec2_import_image.vmimport.cli import console_main

if __name__ == "__main__":
    console_main()
