"""Fault test of `keras-mm serve` on 127.0.0.1: good requests among bad ones.

The server (`keras-mm serve`, an untrained quickstart CLIP) runs in its own
process, so its peak RSS (VmHWM) is its own. 32 concurrent clients (raw
asyncio HTTP/1.1, one connection per request) send distinct `/embed/text`
and `/embed/image` requests; 10% of them are poisoned, in turn: bad UTF-8,
wrong types, a PNG whose header declares 10000x10000 pixels, and a body
that stalls after a few bytes. Checks:
- `good_failed`: good requests not answered 200 (must be 0);
- `mixed`: good answers whose embedding is not their own, computed
  offline with the same model (must be 0);
- `bad_not_4xx`: poisoned requests not answered 4xx (must be 0);
- `peak_rss_mb`: the server's peak RSS, under `--rss-bound-mb`.

    python benchmarks/serve_faults.py            # 32 clients x 40 requests
    python benchmarks/serve_faults.py --tiny     # a quick check (tests)

Writes benchmarks/results/serve_faults.json (or --out).
"""

import argparse
import asyncio
import base64
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

KINDS = ("bad_utf8", "wrong_type", "huge_image", "slow_body")
READ_TIMEOUT_S = 2.0


def _png_declaring(width, height):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def _poisoned(kind, i):
    """(path, body bytes, stall) of a bad request of `kind`."""
    if kind == "bad_utf8":
        return "/embed/text", b'{"texts": ["caf\xc3\x28 %d"]}' % i, False
    if kind == "wrong_type":
        bodies = [b'{"texts": [%d]}' % i, b'{"text": "a", "k": 1}',
                  b'{"texts": "not a list"}', b'{"images": [true]}']
        path = "/embed/image" if b"images" in bodies[i % 4] else (
            "/embed/text")
        return path, bodies[i % 4], False
    if kind == "huge_image":
        image = base64.b64encode(_png_declaring(10000, 10000)).decode()
        return "/embed/image", json.dumps({"image": image}).encode(), False
    return "/embed/text", b'{"texts": ["a stalled body %d"]}' % i, True


async def _request(host, port, path, body, stall=False, timeout=60.0):
    """One POST on its own connection → (status, body bytes)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: "
                f"application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        writer.write(head + (body[:8] if stall else body))
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    if not response:
        return None, b""
    head, _, payload = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


def _plan(count, seed):
    """Every request: (kind, index); 10% poisoned, spread evenly."""
    rng = random.Random(seed)
    plan = []
    for i in range(count):
        if i % 10 == 9:
            plan.append((KINDS[(i // 10) % len(KINDS)], i))
        else:
            plan.append(("text" if rng.random() < 0.5 else "image", i))
    rng.shuffle(plan)
    return plan


async def _load(url, plan, good, clients):
    host, port = url.split("//")[1].split(":")
    queue = list(plan)
    answers = []

    async def client():
        while queue:
            kind, i = queue.pop()
            if kind in ("text", "image"):
                path, body = good[(kind, i)]["request"]
                stall = False
            else:
                path, body, stall = _poisoned(kind, i)
            tick = time.perf_counter()
            try:
                status, payload = await _request(host, int(port), path,
                                                 body, stall)
            except (TimeoutError, OSError) as error:
                status, payload = None, repr(error).encode()
            answers.append({"kind": kind, "i": i, "status": status,
                            "payload": payload,
                            "seconds": time.perf_counter() - tick})

    await asyncio.gather(*(client() for _ in range(clients)))
    return answers


def _good_requests(plan, seed):
    """Distinct inputs (distinct cache keys) for the good requests."""
    import numpy as np

    from keras_mm.datasets.shapes import make_image_text_pairs
    from keras_mm.serving.preprocessing import encode_png

    good = [i for kind, i in plan if kind in ("text", "image")]
    pairs = make_image_text_pairs(max(good) + 1, seed=seed)
    requests = {}
    for kind, i in plan:
        if kind == "text":
            text = f"{pairs['captions'][i]} number {i}"
            requests[(kind, i)] = {"input": text, "request": (
                "/embed/text", json.dumps({"text": text}).encode())}
        elif kind == "image":
            # A pixel of its own keeps every image a distinct key.
            pixels = np.array(pairs["images"][i], np.uint8)
            pixels[0, 0] = [i % 256, (i // 256) % 256, 7]
            image = base64.b64encode(encode_png(pixels)).decode()
            requests[(kind, i)] = {"input": pixels, "request": (
                "/embed/image", json.dumps({"image": image}).encode())}
    return requests


def _expected(model_dir, good):
    """Every good request's embedding, computed offline (no server)."""
    from keras_mm.serving.server import load_service

    service = load_service(model_dir, buckets=(1, 32), warmup=False)
    for kind in ("text", "image"):
        keys = [key for key in good if key[0] == kind]
        items = [good[key]["input"] for key in keys]
        if kind == "image":
            from keras_mm.serving.preprocessing import decode_image
            from keras_mm.serving.preprocessing import encode_png

            items = [decode_image(encode_png(x), service.image_size,
                                  service.image_preprocessor)
                     for x in items]
        else:
            lowercase = service.text_preprocessor.lowercase
            items = [" ".join(t.split()).lower() if lowercase else t
                     for t in items]
        for start in range(0, len(keys), 32):
            vectors = service.embed_now(kind, items[start:start + 32])
            for key, vector in zip(keys[start:start + 32], vectors):
                good[key]["expected"] = vector
    service.close()


def _peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _start_server(model_dir, port, log):
    from keras_mm.serving.server import free_port

    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
         os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_mm.cli.main", "serve", "--model",
         model_dir, "--port", str(port), "--read-timeout-s",
         str(READ_TIMEOUT_S), "--max-batch-size", "32"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 600
    while True:
        if process.poll() is not None:
            raise RuntimeError("the server exited; see " + log.name)
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not start; see " + log.name)
        time.sleep(0.5)


def _score(answers, good):
    import numpy as np

    good_failed = mixed = bad_not_4xx = 0
    statuses = {}
    for answer in answers:
        kind = answer["kind"]
        statuses.setdefault(kind, {}).setdefault(str(answer["status"]), 0)
        statuses[kind][str(answer["status"])] += 1
        if kind not in ("text", "image"):
            bad_not_4xx += not (answer["status"] is not None
                                and 400 <= answer["status"] < 500)
            continue
        if answer["status"] != 200:
            good_failed += 1
            continue
        vector = np.asarray(json.loads(answer["payload"])["embeddings"][0])
        expected = good[(kind, answer["i"])]["expected"]
        mixed += not np.allclose(vector, expected, atol=1e-4, rtol=0)
    return good_failed, mixed, bad_not_4xx, statuses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="8 clients x 40 requests: a quick check")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=40)
    parser.add_argument("--rss-bound-mb", type=float, default=3072.0,
                        help="the server's peak RSS must stay under it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None,
                        help="default: benchmarks/results/serve_faults.json")
    args = parser.parse_args(argv)
    clients, per_client = args.clients, args.requests_per_client
    if args.tiny:
        clients, per_client = 8, 5

    import keras

    import common
    from keras_mm.demos.demo_model import make_demo_model_dir

    tmp = tempfile.mkdtemp(prefix="serve_faults_")
    model_dir = make_demo_model_dir(os.path.join(tmp, "model"))
    plan = _plan(clients * per_client, args.seed)
    good = _good_requests(plan, args.seed + 1)
    _expected(model_dir, good)
    with open(os.path.join(tmp, "server.log"), "w") as log:
        process, url = _start_server(model_dir, None, log)
        try:
            rss_start = _peak_rss_mb(process.pid)
            start = time.perf_counter()
            answers = asyncio.run(_load(url, plan, good, clients))
            elapsed = time.perf_counter() - start
            peak = _peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
    good_failed, mixed, bad_not_4xx, statuses = _score(answers, good)
    figures = {
        "good_failed": good_failed,
        "mixed": mixed,
        "bad_not_4xx": bad_not_4xx,
        "peak_rss_mb": round(peak, 1),
        "rss_after_startup_mb": round(rss_start, 1),
        "rss_bound_mb": args.rss_bound_mb,
        "within_rss_bound": peak < args.rss_bound_mb,
        "requests": len(answers),
        "good_requests": sum(k in ("text", "image") for k, _ in plan),
        "poisoned_requests": sum(k in KINDS for k, _ in plan),
        "statuses_by_kind": statuses,
        "elapsed_s": round(elapsed, 2),
        "slowest_answer_s": round(max(a["seconds"] for a in answers), 2),
        "setup": {
            "clients": clients,
            "requests_per_client": per_client,
            "poisoned": "10%, in turn: " + ", ".join(KINDS),
            "server": "keras-mm serve (own process), untrained demo CLIP, "
            f"--read-timeout-s {READ_TIMEOUT_S}, default limits",
            "client": "raw asyncio HTTP/1.1, one connection per request",
            "tiny": args.tiny,
        },
        "machine": {
            **common.machine(backend=keras.config.backend(), device="cpu"),
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
        },
    }
    print(json.dumps({k: v for k, v in figures.items()
                      if k not in ("machine", "setup")}, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
        path = args.out
    else:
        path = common.write_results("serve_faults", figures)
    print(f"wrote {path}")
    return figures


if __name__ == "__main__":
    main()
