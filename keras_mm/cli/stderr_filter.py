"""Copies standard input to standard output without the log lines that
TensorFlow, absl, XLA, CUDA and LiteRT print from C++, and without Python
warnings raised in installed libraries.

`keras_mm.cli.quiet.filter_native_stderr` runs this file as a script (no
keras_mm import, so it starts in milliseconds) with the command's standard
error piped in. It lives in its own process so that nothing is lost when
the command crashes: it drains the pipe and exits when every writer has
closed it. Lines arrive as the command writes them; an unfinished line
(a progress bar) once the writer pauses.

Example:
```python
from keras_mm.cli.stderr_filter import is_noise

is_noise(b"I0000 00:00:1.2 123 port.cc:153] oneDNN custom operations...\n")
# True
```
"""

import os
import re
import select
import signal
import sys

NOISE = re.compile(rb"|".join([
    # absl / glog C++ logs: "I1207 05:23:15.826115   25783 file.cc:31] ...".
    rb"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^ \]]+:\d+\] ",
    rb"^WARNING: All log messages before absl::InitializeLog\(\)",
    # TensorFlow's CPU feature notice, continued on a second line.
    rb"^To enable the following instructions: .*TensorFlow",
    # LiteRT's minimal logger ("INFO: Created TensorFlow Lite XNNPACK
    # delegate for CPU."); uvicorn's "INFO:     ..." has several spaces.
    rb"^(INFO|VERBOSE): \S",
    rb"^WARNING: .*(TensorFlow Lite|TfLite|XNNPACK|XNNPack)",
]))
# A Python warning raised inside an installed library, and the indented
# source line `warnings` prints under it.
LIBRARY_WARNING = re.compile(
    rb"^\S*(site-packages|dist-packages)/\S+:\d+: \w*Warning: ")


def is_noise(line):
    """Whether `line` (bytes) is a native log line this filter drops."""
    return bool(NOISE.match(line) or LIBRARY_WARNING.match(line))


def copy_without_noise(source, sink, settle_s=0.2):
    """Copies lines from file descriptor `source` to `sink` until end of
    file, dropping noise. C++ loggers write a line in pieces (LiteRT: the
    level, the message, then the newline), so a line without its newline
    is held until `settle_s` passes with nothing more (a progress bar)."""
    pending = b""
    after_warning = False
    while True:
        if pending and not select.select([source], [], [], settle_s)[0]:
            os.write(sink, pending)
            pending = b""
            continue
        chunk = os.read(source, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        out = []
        for line in lines:
            if after_warning and line.startswith(b"  "):
                after_warning = False
                continue
            after_warning = bool(LIBRARY_WARNING.match(line))
            if not is_noise(line):
                out.append(line + b"\n")
        if b"\r" in pending:  # Progress redrawn in place: pass it on.
            done, _, pending = pending.rpartition(b"\r")
            out.append(done + b"\r")
        if out:
            os.write(sink, b"".join(out))
    if pending and not is_noise(pending):
        os.write(sink, pending)


if __name__ == "__main__":
    # Ctrl-C and a terminated process group reach the command, not this
    # filter, which exits once the command and its children are gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        copy_without_noise(sys.stdin.fileno(), sys.stdout.fileno())
    except (BrokenPipeError, OSError):
        pass
