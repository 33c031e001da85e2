"""The README's curl examples, run as written against a live server."""

import json
import os
import re
import shlex
import shutil
import subprocess

import httpx

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.app import build_app
from keras_mm.serving.preprocessing import encode_png
from keras_mm.serving.server import ServerThread

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def serving_curl_lines():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Serving\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("curl ")]


def emulate_curl(line):
    """The request `line` describes, sent with httpx (where curl is not
    installed): -s, -H, -d and -F only."""
    args = shlex.split(line)[1:]
    url, headers, data, files = None, {}, None, []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-s":
            i += 1
            continue
        if arg in ("-H", "-d", "-F"):
            value = args[i + 1]
            if arg == "-H":
                name, _, header = value.partition(":")
                headers[name.strip()] = header.strip()
            elif arg == "-d":
                data = value.encode()
                headers.setdefault("Content-Type",
                                   "application/x-www-form-urlencoded")
            else:
                name, _, path = value.partition("=@")
                files.append((name, (path, open(path, "rb").read())))
            i += 2
            continue
        url = "http://" + arg
        i += 1
    if data is None and not files:
        return httpx.get(url).text
    return httpx.post(url, content=data, headers=headers,
                      files=files or None).text


def test_readme_curl_examples_run_as_written(keras_service, tmp_path,
                                             monkeypatch):
    lines = serving_curl_lines()
    assert len(lines) == 4 and all("localhost:8000" in l for l in lines)
    monkeypatch.chdir(tmp_path)
    pixels = make_image_text_pairs(1, seed=51)["images"][0]
    (tmp_path / "photo.png").write_bytes(encode_png(pixels))
    with ServerThread(build_app(keras_service)) as server:
        for line in lines:
            line = line.replace("localhost:8000",
                                f"{server.host}:{server.port}")
            if shutil.which("curl"):
                out = subprocess.run(["bash", "-c", line], check=True,
                                     capture_output=True, text=True,
                                     timeout=60).stdout
            else:
                out = emulate_curl(line)
            if "/metrics" in line:
                assert "keras_mm_requests_total" in out
                continue
            body = json.loads(out)
            assert "error" not in body, (line, body)
            assert body.get("embeddings") or body.get("results"), body
