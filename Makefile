# One-command set-up: `make test` installs into .venv/ when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck format conformance bench demo clean

# pip compiles what it installs, but not an editable project's own sources: compile them, so
# that each run of the tool does not compile them again where bytecode is not written
# (PYTHONDONTWRITEBYTECODE, read-only trees). Up-to-date files are skipped.
install: $(STAMP)
	$(BIN)/python -m compileall -q src

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The main job end to end, offline: an OVA imported into an AMI on the local emulator.
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Whole-process timings; REF_AWS=/path/to/aws adds a reference and the ratios. Then the
# upload of 1 GiB and 4 GiB files to a loopback S3 stub, against boto3's upload_file, and
# vmimport check of a 10 GiB-virtual disk, local and on the emulator's S3; the reading of
# every allocated block of a 20 GiB-virtual disk as RAW, qcow2 and stream VMDK (needs
# qemu-img); a 40 MB file read through the ext and XFS readers (images made at run time by
# mkfs, no root needed) and a 40 MiB btrfs file compressed with zstd, zlib and LZO; the
# listing of a 40 MB zstd-compressed initramfs; last, disks written into EBS snapshots with
# the EBS direct APIs beside their upload to S3, to loopback stubs (needs qemu-img).
bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/vmimport_check.py
	$(BIN)/python bench/virtual_read.py
	$(BIN)/python bench/fsread.py
	$(BIN)/python bench/fsread_btrfs.py
	$(BIN)/python bench/initramfs.py
	$(BIN)/python bench/ebs_direct.py

conformance: $(STAMP)
	$(PYTHON) ../shared/conformance/run.py --cmd $(BIN)/aws

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
