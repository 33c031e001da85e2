import asyncio
import threading
import time

import pytest

from keras_mm.serving.micro_batcher import MicroBatcher


def test_concurrent_items_share_batches_and_keep_their_results():
    batches, threads = [], set()

    def fn(items):
        threads.add(threading.get_ident())
        batches.append(list(items))
        time.sleep(0.01)  # A model call.
        return [x * 10 for x in items]

    async def main():
        batcher = MicroBatcher(fn, max_batch_size=8, max_wait_ms=20)
        return await asyncio.gather(*(batcher.submit(i) for i in range(20)))

    results = asyncio.run(main())
    assert results == [i * 10 for i in range(20)]
    assert max(len(b) for b in batches) == 8  # Grouped, capped.
    assert len(batches) < 20
    assert sorted(x for b in batches for x in b) == list(range(20))
    assert threading.get_ident() not in threads  # Off the event loop.


def test_batch_of_one_without_waiting_and_error_reaches_every_waiter():
    sizes = []

    def fn(items):
        if "bad" in items:
            raise RuntimeError("model failed")
        return items

    async def main():
        batcher = MicroBatcher(fn, max_batch_size=1, max_wait_ms=0,
                               on_batch=sizes.append)
        ok = await asyncio.gather(*(batcher.submit(i) for i in range(3)))
        with pytest.raises(RuntimeError, match="model failed"):
            await batcher.submit("bad")
        return ok, await batcher.submit("after")

    ok, after = asyncio.run(main())
    assert ok == [0, 1, 2] and after == "after"  # Keeps working.
    assert sizes == [1, 1, 1, 1, 1]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_batch_size"):
        MicroBatcher(lambda x: x, max_batch_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(lambda x: x, max_wait_ms=-1)
