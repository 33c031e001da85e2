import os
import subprocess
import sys

import pytest

from keras_mm.cli import quiet
from keras_mm.cli.stderr_filter import copy_without_noise
from keras_mm.cli.stderr_filter import is_noise

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR",
    "I0000 00:00:1796620997.039189   26045 port.cc:153] oneDNN custom "
    "operations are on.",
    "E0000 00:00:1796621002.091790   26045 cuda_platform.cc:52] failed call "
    "to cuInit: INTERNAL: CUDA error",
    "W1207 05:23:15.826115   25783 tf_tfl_flatbuffer_helpers.cc:365] "
    "Ignored output_format.",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other "
    "operations, rebuild TensorFlow with the appropriate compiler flags.",
    "/venv/lib/python3.11/site-packages/keras/src/x.py:1: UserWarning: "
    "something",
]
KEPT = [
    "[keras-mm] backend torch (KERAS_BACKEND) on cpu (Xeon, 2 cores)",
    "INFO:     Uvicorn running on http://127.0.0.1:8000",
    "error: keras-mm: No such file: 'a.csv'",
    "Epoch 1/3",
    "/work/keras_mm/evaluation/truncation.py:39: TextTruncationWarning: 3 "
    "of 8 texts exceed the context",
    "Traceback (most recent call last):",
]


@pytest.mark.parametrize("line", NOISE)
def test_native_log_lines_are_noise(line):
    assert is_noise(line.encode())


@pytest.mark.parametrize("line", KEPT)
def test_our_lines_and_crashes_are_kept(line):
    assert not is_noise(line.encode())


def test_copy_drops_noise_and_the_source_line_of_a_library_warning(
        tmp_path):
    text = "\n".join([NOISE[0], "kept 1", NOISE[-1],
                      "  warnings.warn('x')", "kept 2", "partial"])
    source, sink = tmp_path / "in", tmp_path / "out"
    source.write_text(text)
    with open(source, "rb") as src, open(sink, "wb") as out:
        copy_without_noise(src.fileno(), out.fileno())
    assert sink.read_text() == "kept 1\nkept 2\npartial"


def test_filtered_process_keeps_its_own_lines_even_when_it_crashes():
    code = (
        "import os, sys\n"
        "from keras_mm.cli import quiet\n"
        "quiet.filter_native_stderr()\n"
        f"os.write(2, {NOISE[1]!r}.encode() + b'\\n')\n"
        "print('kept before the crash', file=sys.stderr, flush=True)\n"
        "os.abort()\n")
    result = subprocess.run([sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr == "kept before the crash\n"


def test_quiet_environ_keeps_the_users_values():
    env = {"TF_CPP_MIN_LOG_LEVEL": "0"}
    quiet.quiet_environ(env)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "0"
    assert env["GRPC_VERBOSITY"] == "ERROR"
    assert os.environ is not env


def test_a_line_written_in_pieces_is_still_dropped():
    # LiteRT writes the level, the message and the newline separately.
    code = (
        "import os, sys, time\n"
        "from keras_mm.cli import quiet\n"
        "quiet.filter_native_stderr()\n"
        "for piece in (b'INFO: ', b'Created TensorFlow Lite XNNPACK "
        "delegate for CPU.', b'\\n', b'50%'):\n"
        "    os.write(2, piece)\n"
        "    time.sleep(0.01)\n")
    result = subprocess.run([sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=60)
    assert result.stderr == "50%"
