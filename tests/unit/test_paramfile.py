"""file:// and fileb:// parameter values, with ``~`` and variables from the run's own."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ec2_import_image.dropin.params.paramfile import ResourceLoadingError, get_paramfile

JSON_CASES = Path(__file__).resolve().parents[1] / "golden" / "cases" / "json_input"


def load_error(value: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ResourceLoadingError) as info:
        get_paramfile(value, {} if environ is None else environ)
    return str(info.value)


@pytest.mark.parametrize(
    "value", ["", "plain", "File://x", "file:/x", "file:x", " file://x", "s3://b/k", "http://x"]
)
def test_other_values_are_not_references(value: str) -> None:
    assert get_paramfile(value, {}) is None


def test_text_and_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desc.txt").write_text("line one\nline two\n", "utf-8")
    (tmp_path / "uni.txt").write_bytes("café 🚀\n".encode())
    (tmp_path / "crlf.txt").write_bytes(b"a\r\nb\rc\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff\r\n")
    (tmp_path / "empty").write_bytes(b"")
    assert get_paramfile("file://desc.txt", {}) == "line one\nline two\n"
    assert get_paramfile("file://uni.txt", {}) == "café 🚀\n"
    # Text is read with universal newlines, bytes untouched.
    assert get_paramfile("file://crlf.txt", {}) == "a\nb\nc\n"
    assert get_paramfile("fileb://crlf.txt", {}) == b"a\r\nb\rc\n"
    assert get_paramfile("fileb://blob.bin", {}) == b"\x00\xff\r\n"
    assert get_paramfile("file://empty", {}) == ""
    assert get_paramfile("fileb://empty", {}) == b""


def test_relative_absolute_home_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.txt").write_text("in sub", "utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    assert get_paramfile("file://f.txt", {}) == "in sub"
    assert get_paramfile("file://./f.txt", {}) == "in sub"
    assert get_paramfile(f"file://{tmp_path}/sub/f.txt", {}) == "in sub"
    environ = {"HOME": str(tmp_path), "PF_DIR": str(tmp_path / "sub"), "PF_NAME": "f"}
    assert get_paramfile("file://~/sub/f.txt", environ) == "in sub"
    assert get_paramfile("file://$PF_DIR/${PF_NAME}.txt", environ) == "in sub"
    # "~" is expanded before variables, so a variable holding "~" stays literal.
    assert load_error("file://$PF_TILDE/sub/f.txt", {**environ, "PF_TILDE": "~"}) == (
        "Unable to load paramfile file://$PF_TILDE/sub/f.txt: "
        "[Errno 2] No such file or directory: '~/sub/f.txt'"
    )


def test_missing_file_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    assert load_error("file://x") == (
        "Unable to load paramfile file://x: [Errno 2] No such file or directory: 'x'"
    )
    assert load_error("fileb://nope/x.bin") == (
        "Unable to load paramfile fileb://nope/x.bin: "
        "[Errno 2] No such file or directory: 'nope/x.bin'"
    )
    assert (
        load_error("file://dir")
        == "Unable to load paramfile file://dir: [Errno 21] Is a directory: 'dir'"
    )
    # The message quotes the reference as written and the OS error the expanded path.
    assert load_error("file://$PF_MISSING.txt", {"PF_MISSING": "gone"}) == (
        "Unable to load paramfile file://$PF_MISSING.txt: "
        "[Errno 2] No such file or directory: 'gone.txt'"
    )
    assert load_error("file://") == (
        "Unable to load paramfile file://: [Errno 2] No such file or directory: ''"
    )
    # v2 lets this ValueError escape; argv cannot carry a NUL, so only robustness matters.
    assert load_error("file://a\x00b").startswith("Unable to load paramfile file://a\x00b: ")


def test_undecodable_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 d\xe9cor")
    message = (
        "Unable to load paramfile ({}), text contents could not be decoded.  If this is a "
        "binary file, please use the fileb:// prefix instead of the file:// prefix."
    )
    assert load_error("file://latin1.txt") == message.format("latin1.txt")
    environ = {"PF_DIR": str(tmp_path)}
    assert load_error("file://$PF_DIR/latin1.txt", environ) == message.format(
        f"{tmp_path}/latin1.txt"
    )
    assert get_paramfile("fileb://latin1.txt", {}) == b"caf\xe9 d\xe9cor"


def test_recorded_undecodable_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads((JSON_CASES / "file-not-utf8.json").read_text("utf-8"))
    for name, content in case["files"].items():
        (tmp_path / name).write_bytes(base64.b64decode(content["base64"]))
    monkeypatch.chdir(tmp_path)
    argv: list[str] = case["argv"]
    value = argv[argv.index("--description") + 1]
    prefix = "Error parsing parameter '--description': "
    expected = case["expect"]["stderr"].split(prefix, 1)[1].removesuffix("\n")
    assert load_error(value) == expected


def test_recorded_text_file_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads((JSON_CASES / "description-from-file.json").read_text("utf-8"))
    for name, content in case["files"].items():
        (tmp_path / name).write_text(content, "utf-8")
    monkeypatch.chdir(tmp_path)
    assert get_paramfile("file://desc.txt", {}) == "line one\nline two\n"


@pytest.mark.skipif(not os.path.exists("/dev/stdin"), reason="needs /dev/stdin")
def test_dev_stdin() -> None:
    code = (
        "from ec2_import_image.dropin.params.paramfile import get_paramfile\n"
        "import sys\n"
        "sys.stdout.write(repr(get_paramfile('file:///dev/stdin', {})))\n"
        "sys.stdout.write(repr(get_paramfile('fileb:///dev/stdin', {})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=b"from stdin\n", capture_output=True, check=True
    )
    assert done.stdout == b"'from stdin\\n'b''"


def test_the_variables_are_the_runs_not_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~``, ``$VARS`` and the file encoding come from the run's variables alone."""
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    monkeypatch.chdir(tmp_path)
    environ = {"HOME": str(tmp_path), "AWS_CLI_FILE_ENCODING": "latin-1", "D": str(tmp_path)}
    assert get_paramfile("file://~/latin1.txt", environ) == "caf\xe9"
    assert get_paramfile("file://$D/latin1.txt", environ) == "caf\xe9"
    assert "D" not in os.environ and os.environ.get("HOME") != str(tmp_path)
    assert load_error("file://$D/latin1.txt", {"D": str(tmp_path)}).endswith(
        "text contents could not be decoded.  If this is a binary file, please use the "
        "fileb:// prefix instead of the file:// prefix."
    )
