# One-command set-up: `make test` installs into .venv/ when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The second environment: the highest releases the bounds admit, pinned in CONSTRAINTS.
NEWEST := .venv-newest
CONSTRAINTS := .ci/constraints-newest.txt
# The public conformance corpus, in shared/ beside the clone (CONFORMANCE=DIR says otherwise).
CONFORMANCE ?= $(firstword $(wildcard ../shared/conformance ../../shared/conformance))
# The tests of the highest botocore admitted: the drop-in's (functional, the project's recorded
# cases, units with the private hooks, the drop-in on the emulator) and vmimport's. The public
# cases run through the installed `aws` just before (run.py), not again in-process; the two
# tests that pin the model's botocore are the pinned environment's. The emulator's own tests
# (moto with boto3 1.44 passed them when the bound moved) run in .venv and in newest.yml.
NEWEST_TESTS := tests/functional tests/golden tests/unit tests/emulator/test_dropin.py \
	tests/vmimport \
	--deselect tests/golden/test_recorded_cases.py::test_recorded_case \
	--deselect tests/unit/test_model.py::test_installed_botocore_is_the_pinned_one \
	--deselect tests/unit/test_model.py::test_shipped_model_equals_the_installed_botocore_model

.PHONY: install test lint typecheck format conformance newest bench demo clean

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
	$(BIN)/python bench/os_read.py
	$(BIN)/python bench/ebs_direct.py

conformance: $(STAMP)
	@test -n "$(CONFORMANCE)" || { echo "no conformance corpus in ../shared/conformance: set CONFORMANCE=DIR" >&2; exit 2; }
	$(PYTHON) $(CONFORMANCE)/run.py --cmd $(BIN)/aws

# A user's install beside the current boto3, on the highest botocore the bounds admit: boto3
# first (CONSTRAINTS), then this project's wheel, as `pip install` puts it there; boto3's
# requirements must still hold (pip check). Then the public corpus on that `aws`, and the tests
# of NEWEST_TESTS with the test extra installed beside it. Made anew each time.
newest:
	@test -n "$(CONFORMANCE)" || { echo "no conformance corpus in ../shared/conformance: set CONFORMANCE=DIR" >&2; exit 2; }
	rm -rf $(NEWEST)
	$(PYTHON) -m venv $(NEWEST)
	$(NEWEST)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST)/bin/python -m pip install --quiet -c $(CONSTRAINTS) boto3
	$(NEWEST)/bin/python -m pip wheel --quiet --no-deps --wheel-dir $(NEWEST)/wheels .
	$(NEWEST)/bin/python -m pip install --quiet $(NEWEST)/wheels/ec2_import_image-*.whl
	$(NEWEST)/bin/python -m pip check
	$(PYTHON) $(CONFORMANCE)/run.py --cmd $(NEWEST)/bin/aws
	$(NEWEST)/bin/python -m pip install --quiet -c $(CONSTRAINTS) "$$(echo $(NEWEST)/wheels/ec2_import_image-*.whl)[test]"
	$(NEWEST)/bin/python -m pip list --format freeze | grep -iE '^(boto3|botocore|moto|urllib3|ruamel.yaml)=='
	$(NEWEST)/bin/python -m pytest -q -n auto -p no:cacheprovider $(NEWEST_TESTS)

clean:
	rm -rf $(VENV) $(NEWEST) .mypy_cache .pytest_cache .ruff_cache
