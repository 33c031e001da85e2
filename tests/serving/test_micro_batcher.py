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


def test_an_item_that_fails_the_batch_fails_alone():
    calls = []

    def fn(items):
        calls.append(list(items))
        if "poison" in items:
            raise UnicodeError("the tokenizer choked")
        return [x * 2 for x in items]

    async def main():
        batcher = MicroBatcher(fn, max_batch_size=8, max_wait_ms=50)
        return await asyncio.gather(
            *(batcher.submit(x) for x in (1, "poison", 3)),
            return_exceptions=True)

    one, poison, three = asyncio.run(main())
    assert (one, three) == (2, 6)  # Batch-mates get their own results.
    assert isinstance(poison, UnicodeError)
    assert calls[0] == [1, "poison", 3] and [1] in calls and [3] in calls


def test_a_full_queue_refuses_new_items():
    from keras_mm.serving.micro_batcher import QueueFull

    async def main():
        gate = asyncio.Event()
        batcher = MicroBatcher(lambda xs: xs, max_batch_size=1,
                               max_wait_ms=0, max_pending=2)
        first = [asyncio.ensure_future(batcher.submit(i)) for i in (0, 1)]
        await asyncio.sleep(0)
        assert batcher.pending == 2 and not batcher.has_room(1)
        with pytest.raises(QueueFull):
            await batcher.submit(2)
        gate.set()
        results = await asyncio.gather(*first)
        return results, batcher.pending, await batcher.submit(3)

    assert asyncio.run(main()) == ([0, 1], 0, 3)
