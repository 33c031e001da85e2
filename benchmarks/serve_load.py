"""Load test of `keras_mm.serving` on 127.0.0.1: batching and the cache.

The server (uvicorn in a thread, the quickstart CLIP) runs in this process;
the load comes from a separate client process (raw asyncio HTTP/1.1) so the two
do not share a GIL. Each run sends a fixed number of `/embed/text` requests
from C concurrent clients and stops at a deadline. Runs:
- batched vs batch-1 (`max_batch_size` 32 vs 1), cache off, C = 1, 8, 32;
- cache on: the same queries first as misses, then again as hits. At one
  client each query is sent twice in a row (the same request bytes: a miss,
  then a hit); every query carries a fresh number, so each miss is a
  distinct cache key that runs the model. `cache_hit_speedup_p50` is the
  ratio of the client-measured p50 latencies (miss / hit).
- Redis cache shared by two replicas (if `redis-server` is installed): a
  `redis-server` on loopback, two services (replicas A and B: their own
  batcher, cache client and uvicorn) on the model; queries sent to A
  (misses, stored in Redis), then the same queries to B: each one B
  answers from A's entry counts in `redis_shared_cache.shared_hits`.

    python benchmarks/serve_load.py            # ~2-4 min on 2 busy cores
    python benchmarks/serve_load.py --quick    # fewer requests
    python benchmarks/serve_load.py --only redis   # just the Redis runs,
                                                   # merged into the JSON
    python benchmarks/serve_load.py --only ray     # Ray Serve replicas

- Ray Serve (`--only ray`, or after the runs above when ray[serve] is
  installed): `keras-mm serve --engine ray`'s one-hop deployment on a
  local Ray cluster of this machine's cores, a CPU-bound model (a
  BERT-base-size text tower, `RAY_SIZE`; cache off), 32 clients of
  distinct queries: 1 replica against 2 (each claiming one core, one
  compute thread), alternating redeployments;
  `ray_serve.replica_throughput_ratio_32` = 2 replicas ÷ 1. Then the two
  replicas sharing a Redis cache: every query is sent twice, and the
  second pass's hits show the cache is shared (Ray's proxy spreads the
  requests over both; a cache per replica would hit about half of
  them).

Writes benchmarks/results/serve_load.json (cache_hit_speedup_p50,
batching_throughput_ratio_32, per-concurrency figures, redis_shared_cache,
ray_serve, machine).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CONCURRENCY = (1, 8, 32)


# === Client (runs in its own process) ===

async def _post(reader, writer, host, body):
    """One keep-alive HTTP/1.1 POST on raw asyncio streams: a far lighter
    client than httpx, so the load generator does not eat the CPU that
    the server needs. Returns (status, headers)."""
    writer.write(
        b"POST /embed/text HTTP/1.1\r\nHost: " + host + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    await reader.readexactly(int(headers["content-length"]))
    return int(lines[0].split()[1]), headers


async def _client(url, texts, concurrency, deadline_s):
    host, port = url.split("//")[1].split(":")
    latencies, server_ms, errors, hits = [], [], 0, 0
    queue = [json.dumps({"text": t}).encode() for t in reversed(texts)]
    stop = time.perf_counter() + deadline_s

    async def worker():
        nonlocal errors, hits
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue and time.perf_counter() < stop:
            body = queue.pop()
            tick = time.perf_counter()
            status, headers = await _post(reader, writer, host.encode(),
                                          body)
            latencies.append(time.perf_counter() - tick)
            errors += status != 200
            hits += headers.get("x-cache") == "hit"
            timing = headers.get("server-timing", "dur=nan")
            server_ms.append(float(timing.split("dur=")[-1]))
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"latencies": latencies, "server_ms": server_ms,
            "errors": errors, "hits": hits, "elapsed": elapsed}


def client_main(args):
    with open(args.texts) as f:
        texts = json.load(f)
    result = asyncio.run(_client(args.url, texts, args.concurrency,
                                 args.deadline))
    print(json.dumps(result))


# === Controller ===

def _summary(runs):
    """Pools the latencies of several runs of one configuration."""
    import numpy as np

    lat = np.concatenate([r["latencies"] for r in runs]) * 1000
    server = np.concatenate([r["server_ms"] for r in runs])
    elapsed = sum(r["elapsed"] for r in runs)
    return {
        "requests": int(lat.size),
        "errors": sum(r["errors"] for r in runs),
        "throughput_rps": round(lat.size / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "server_p50_ms": round(float(np.percentile(server, 50)), 3),
    }


def _load(url, texts, concurrency, deadline, tmp):
    path = os.path.join(tmp, "texts.json")
    with open(path, "w") as f:
        json.dump(texts, f)
    out = subprocess.run(
        [sys.executable, __file__, "--client", "--url", url, "--texts", path,
         "--concurrency", str(concurrency), "--deadline", str(deadline)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _queries(count, offset):
    from keras_mm.datasets.shapes import make_image_text_pairs

    captions = make_image_text_pairs(count, seed=99)["captions"]
    # A number makes every query a distinct cache key.
    return [f"{c} number {offset + i}" for i, c in enumerate(captions)]


def _uptime():
    """`uptime` (load averages) of this shared machine, for the record."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(
            f"{x:.2f}" for x in os.getloadavg())


def _http_parser():
    """What uvicorn's `http="auto"` uses: httptools if installed."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def _model_dir(args, tmp):
    if args.model:
        return args.model
    import keras_mm.quickstart as qs
    from keras_mm.demos.demo_model import make_demo_model_dir

    size = qs.SIZES[args.size]
    # Untrained weights: latency does not depend on their values.
    return make_demo_model_dir(tmp, size["hidden_dim"], size["num_layers"],
                               size["num_heads"], projection_dim=128)


def _redis_shared_cache(batched, queries, per_run, deadline, tmp, model):
    """Replica A computes, replica B answers from Redis (see the module's
    docstring); None without a `redis-server`."""
    import shutil

    from keras_mm.serving.app import build_app
    from keras_mm.serving.embedding_service import EmbeddingService
    from keras_mm.serving.redis_server import RedisServer
    from keras_mm.serving.server import ServerThread

    if shutil.which("redis-server") is None:
        print("redis-server not installed: no Redis runs", flush=True)
        return None
    figures = {}
    with RedisServer(maxmemory="256mb") as redis_server:
        replicas = [EmbeddingService(
            batched.runtime, batched.text_preprocessor, max_batch_size=32,
            max_wait_ms=2.0, cache_url=redis_server.url,
            cache_namespace="serve_load") for _ in "AB"]
        servers = [ServerThread(build_app(r)).start() for r in replicas]
        try:
            for server in servers:  # Untimed warm-up of the HTTP path.
                _load(server.url, queries(16), 4, 10, tmp)
            for c in (1, 32):
                texts = queries(per_run[c])
                a, b = (_load(server.url, texts, c, deadline, tmp)
                        for server in servers)
                summary_a, summary_b = _summary([a]), _summary([b])
                figures[f"c{c}"] = {
                    "queries": len(texts),
                    "replica_a_misses": summary_a,
                    "replica_b_after_a": summary_b,
                    "shared_hits": b["hits"],
                    "shared_hit_ratio": round(b["hits"] / len(b["latencies"]),
                                              3),
                    "hit_speedup_p50": round(summary_a["p50_ms"]
                                             / summary_b["p50_ms"], 2),
                }
                print(f"redis c{c}", figures[f"c{c}"], flush=True)
            figures["replica_b_metrics"] = replicas[1].cache.stats()
        finally:
            for server in servers:
                server.stop()
            for replica in replicas:
                replica.close()
    figures["model"] = model
    figures["setup"] = (
        "redis-server on 127.0.0.1 (--save '' --appendonly no --maxmemory "
        "256mb --maxmemory-policy allkeys-lru); two services in this "
        "process on one runtime, each with its own uvicorn, batcher and "
        "Redis client; each query sent to replica A, then the same query "
        "to replica B")
    return figures


# BERT-base-size towers: the model, not Ray's proxy and this load
# generator (which share the machine's cores), sets the pace.
RAY_SIZE = {"hidden_dim": 768, "num_layers": 12, "num_heads": 12}
# Fine steps: two replicas each see batches of about half the clients,
# which the default steps (1, 4, 8, 16, 32) would pad by up to half.
RAY_BUCKETS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32)


def _ray_serve_scaling(queries, deadline, tmp, rounds, requests):
    """Tower replicas 1 vs 2 and a Redis cache shared by two front
    replicas under Ray Serve (see the module's docstring); None without
    ray[serve]."""
    import shutil

    try:
        from ray import serve

        from keras_mm.serving import ray_serve
    except ImportError:
        print("ray[serve] not installed: no Ray Serve runs", flush=True)
        return None
    from keras_mm.demos.demo_model import make_demo_model_dir
    from keras_mm.serving.server import free_port

    model = make_demo_model_dir(os.path.join(tmp, "ray_model"),
                                projection_dim=128, **RAY_SIZE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {"model": model, "buckets": RAY_BUCKETS,
              "max_batch_size": 32, "max_wait_ms": 2.0, "cache_size": 0}
    runs = {}
    ray_serve.serve_on_ray(config, port=port, blocking=False, replicas=1)
    try:
        for _ in range(rounds):
            for replicas in (1, 2):
                serve.run(ray_serve.deployments(config, replicas=replicas),
                          name=ray_serve.APP_NAME, route_prefix="/")
                _load(url, queries(64), 32, 30, tmp)  # Untimed warm-up.
                runs.setdefault(replicas, []).append(_load(
                    url, queries(requests), 32, deadline, tmp))
                print(f"ray {replicas} replica(s)",
                      _summary(runs[replicas][-1:]), flush=True)
        figures = {f"replicas_{n}_c32": _summary(r) for n, r in runs.items()}
        figures["replica_throughput_ratio_32"] = round(
            figures["replicas_2_c32"]["throughput_rps"]
            / figures["replicas_1_c32"]["throughput_rps"], 2)
        if shutil.which("redis-server"):
            from keras_mm.serving.redis_server import RedisServer

            with RedisServer(maxmemory="256mb") as redis_server:
                shared = {**config, "cache_size": 4096,
                          "cache_url": redis_server.url,
                          "cache_namespace": "serve_load_ray"}
                serve.run(ray_serve.deployments(shared, replicas=2),
                          name=ray_serve.APP_NAME, route_prefix="/")
                texts = queries(requests)
                first = _load(url, texts, 32, deadline, tmp)
                second = _load(url, texts, 32, deadline, tmp)
            figures["shared_cache_two_replicas"] = {
                "queries": len(texts),
                "first_pass_hits": first["hits"],
                "second_pass_hits": second["hits"],
                "second_pass_hit_ratio": round(
                    second["hits"] / len(second["latencies"]), 3),
            }
            print("ray shared cache", figures["shared_cache_two_replicas"],
                  flush=True)
    finally:
        serve.shutdown()
    figures["setup"] = (
        f"local Ray cluster ({os.cpu_count()} CPUs) started by "
        "serve_on_ray; one-hop service replicas, each claiming 1 core and "
        f"running 1 compute thread, buckets {RAY_BUCKETS}, cache off; "
        f"quickstart-style CLIP {RAY_SIZE}, untrained; /embed/text, 32 "
        f"clients (in a process on the same cores), distinct queries, "
        f"{rounds} alternating rounds of {requests} requests; "
        f"{_uptime()}")
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="quickstart folder (default: an "
                        "untrained quickstart CLIP of --size)")
    parser.add_argument("--size", default="full", choices=("tiny", "small",
                                                           "full"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--deadline", type=float, default=20.0,
                        help="seconds per run before it stops sending")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds per configuration")
    parser.add_argument("--ray-requests", type=int, default=480,
                        help="requests per Ray Serve run")
    parser.add_argument("--only", choices=("redis", "ray"),
                        help="run only these runs and merge them into the "
                        "existing results file")
    parser.add_argument("--client", action="store_true",
                        help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main(args)

    import keras

    import common
    from keras_mm.serving.app import build_app
    from keras_mm.serving.embedding_service import EmbeddingService
    from keras_mm.serving.server import ServerThread
    from keras_mm.serving.server import load_service

    uptime_start = _uptime()
    per_run = {1: 60, 8: 160, 32: 320}
    cache_pairs_c1 = 300  # Cheap (hits) and the headline figure: many.
    if args.quick:
        per_run = {c: n // 4 for c, n in per_run.items()}
        cache_pairs_c1 //= 4
    tmp = tempfile.mkdtemp()
    batched = load_service(_model_dir(args, tmp), cache_size=0,
                           max_batch_size=32, max_wait_ms=2.0)
    configs = {
        "batched": batched,
        "batch1": EmbeddingService(batched.runtime, batched.text_preprocessor,
                                   max_batch_size=1, max_wait_ms=0,
                                   cache_size=0),
        "cached": EmbeddingService(batched.runtime, batched.text_preprocessor,
                                   max_batch_size=32, max_wait_ms=2.0,
                                   cache_size=100_000),
    }
    runs, offset = {}, 0
    model_name = (args.model or f"quickstart CLIP, {args.size} size, "
                  "untrained")

    def queries(count):
        nonlocal offset
        offset += count
        return _queries(count, offset - count)

    if args.only:
        path = os.path.join(common.RESULTS, "serve_load.json")
        with open(path) as f:
            figures = json.load(f)
        if args.only == "redis":
            figures["redis_shared_cache"] = _redis_shared_cache(
                batched, queries, per_run, args.deadline, tmp, model_name)
        else:
            figures["ray_serve"] = _ray_serve_scaling(
                queries, args.deadline * 3, tmp, args.rounds,
                args.ray_requests // (4 if args.quick else 1))
        key = {"redis": "redis_shared_cache", "ray": "ray_serve"}[args.only]
        figures[f"{key}_machine"] = {
            **common.machine(backend=keras.config.backend(), device="cpu"),
            "uptime_start": uptime_start, "uptime_end": _uptime()}
        print(f"wrote {common.write_results('serve_load', figures)}")
        for service in configs.values():
            service.close()
        return figures

    servers = {name: ServerThread(build_app(service)).start()
               for name, service in configs.items()}
    for server in servers.values():  # Untimed warm-up of the HTTP path.
        _load(server.url, queries(16), 4, 10, tmp)
    # The machine is shared and noisy: configurations alternate in rounds
    # so that drifting load hits them alike; latencies are pooled.
    for c in CONCURRENCY:
        for _ in range(args.rounds):
            for name in ("batched", "batch1"):
                runs.setdefault(f"{name}_c{c}", []).append(_load(
                    servers[name].url, queries(per_run[c] // args.rounds),
                    c, args.deadline, tmp))
            url = servers["cached"].url
            if c == 1:
                texts = queries(cache_pairs_c1 // args.rounds)
                # Each query twice in a row: a miss, then a hit.
                run = _load(url, [t for t in texts for _ in (0, 1)], 1,
                            args.deadline, tmp)
                for key, part in (("cache_miss", 0), ("cache_hit", 1)):
                    runs.setdefault(f"{key}_c1", []).append({
                        "latencies": run["latencies"][part::2],
                        "server_ms": run["server_ms"][part::2],
                        "errors": run["errors"],
                        "elapsed": run["elapsed"] / 2})
            else:
                texts = queries(per_run[c] // args.rounds)
                for key in ("cache_miss", "cache_hit"):
                    runs.setdefault(f"{key}_c{c}", []).append(
                        _load(url, texts, c, args.deadline, tmp))
        for key in sorted(runs):
            if key.endswith(f"_c{c}"):
                print(key, _summary(runs[key]), flush=True)
    for server in servers.values():
        server.stop()
    results = {key: _summary(value) for key, value in runs.items()}
    redis_figures = _redis_shared_cache(batched, queries, per_run,
                                        args.deadline, tmp, model_name)
    ray_figures = _ray_serve_scaling(
        queries, args.deadline * 3, tmp, args.rounds,
        args.ray_requests // (4 if args.quick else 1))

    figures = {
        "cache_hit_speedup_p50": round(
            results["cache_miss_c1"]["p50_ms"]
            / results["cache_hit_c1"]["p50_ms"], 2),
        # The same ratio from the Server-Timing header: time inside the
        # server, without the client's share of the busy CPU.
        "cache_hit_speedup_p50_server": round(
            results["cache_miss_c1"]["server_p50_ms"]
            / results["cache_hit_c1"]["server_p50_ms"], 2),
        "batching_throughput_ratio_32": round(
            results["batched_c32"]["throughput_rps"]
            / results["batch1_c32"]["throughput_rps"], 2),
        "per_concurrency": {
            str(c): {k: results[f"{k}_c{c}"] for k in
                     ("batched", "batch1", "cache_miss", "cache_hit")}
            for c in CONCURRENCY
        },
        "redis_shared_cache": redis_figures,
        "ray_serve": ray_figures,
        "setup": {
            "endpoint": "/embed/text (JSON)",
            "model": model_name,
            "runtime": "keras",
            "buckets": list(batched.runtime.buckets),
            "max_wait_ms": 2.0,
            "requests_per_configuration": per_run,
            "rounds": args.rounds,
            "cache_c1": "each query sent twice in a row (miss, then hit), "
            f"{cache_pairs_c1} pairs; the hit is answered from "
            "pre-serialised bytes before parsing/preprocessing/batching",
            "http_parser": _http_parser(),
            "deadline_s": args.deadline,
            "client": "separate process, raw asyncio HTTP/1.1 keep-alive, "
            "one connection per concurrent client",
        },
        "machine": {
            **common.machine(backend=keras.config.backend(), device="cpu"),
            "note": "shared, noisy machine (2 cores, other engineers' jobs "
            "running): absolute numbers vary run to run",
            "uptime_start": uptime_start,
            "uptime_end": _uptime(),
        },
    }
    rows = [(c, k, r["throughput_rps"], r["p50_ms"], r["p99_ms"],
             r["server_p50_ms"], r["requests"], r["errors"])
            for c, group in figures["per_concurrency"].items()
            for k, r in group.items()]
    common.print_table(rows, ("clients", "run", "req/s", "p50 ms", "p99 ms",
                              "server p50", "requests", "errors"))
    print(f"cache hit speedup (p50, 1 client): "
          f"{figures['cache_hit_speedup_p50']}x")
    print(f"cache hit speedup (server-side p50, 1 client): "
          f"{figures['cache_hit_speedup_p50_server']}x")
    print(f"batching throughput ratio (32 clients): "
          f"{figures['batching_throughput_ratio_32']}x")
    path = common.write_results("serve_load", figures)
    print(f"wrote {path}")
    for service in configs.values():
        service.close()
    return figures


if __name__ == "__main__":
    main()
