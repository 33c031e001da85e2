"""Groups concurrent requests into one model call (max batch, max wait)."""

import asyncio


class QueueFull(Exception):
    """The batcher already holds `max_pending` items."""


class MicroBatcher:
    """Collects items submitted by concurrent coroutines into batches.

    The first waiting item opens a batch; the batch closes when it holds
    `max_batch_size` items or `max_wait_ms` has passed. `fn(items)` (a
    blocking function returning one result per item, in order) then runs
    in `executor`, never on the event loop. While it runs, new items queue
    up, so under load batches fill without waiting.

    Items should be validated and preprocessed before `submit`. Should
    `fn` still fail on a batch, each item of it is retried alone, so only
    the items that fail by themselves get the error, never a batch-mate.

    Args:
        fn: callable, list of items -> list of results.
        max_batch_size: int. Largest batch handed to `fn`.
        max_wait_ms: float. How long a batch waits for more items.
        executor: a `concurrent.futures.Executor` (one thread keeps model
            calls serial); None uses the loop's default executor.
        on_batch: optional callable(batch_size), e.g. a metrics hook.
        max_pending: int. Most items queued or running at once; `submit`
            beyond it raises `QueueFull` (None: unbounded).

    Example:
    ```python
    batcher = MicroBatcher(lambda xs: [x * 2 for x in xs], max_batch_size=8)
    result = await batcher.submit(21)  # 42
    ```
    """

    def __init__(self, fn, max_batch_size=32, max_wait_ms=2.0,
                 executor=None, on_batch=None, max_pending=None):
        if max_batch_size < 1:
            raise ValueError(
                f"max_batch_size must be >= 1. Received: {max_batch_size}"
            )
        if max_wait_ms < 0:
            raise ValueError(
                f"max_wait_ms must be >= 0. Received: {max_wait_ms}"
            )
        self.fn = fn
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.executor = executor
        self.on_batch = on_batch
        self.max_pending = max_pending
        # Items submitted whose result is not delivered yet.
        self.pending = 0
        self._loop = None
        self._queue = None
        self._worker = None

    def _ensure_worker(self):
        # Bound to the running loop; a new loop (e.g. a new TestClient)
        # gets a new queue and worker.
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._run())

    def has_room(self, count):
        """Whether `count` more items fit under `max_pending`."""
        return (self.max_pending is None
                or self.pending + count <= self.max_pending)

    async def submit(self, item):
        """Waits for and returns `fn`'s result for `item`."""
        if not self.has_room(1):
            raise QueueFull(f"{self.pending} items are queued")
        self._ensure_worker()
        future = self._loop.create_future()
        self.pending += 1
        try:
            self._queue.put_nowait((item, future))
            return await future
        finally:
            self.pending -= 1

    async def _collect(self):
        batch = [await self._queue.get()]
        deadline = self._loop.time() + self.max_wait_s
        while len(batch) < self.max_batch_size:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            timeout = deadline - self._loop.time()
            if timeout <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(),
                                                    timeout))
            except TimeoutError:
                break
        return batch

    async def _run(self):
        while True:
            batch = await self._collect()
            batch = [(i, f) for i, f in batch if not f.cancelled()]
            if not batch:
                continue
            if self.on_batch is not None:
                self.on_batch(len(batch))
            try:
                results = await self._call([item for item, _ in batch])
            except Exception as error:
                if len(batch) == 1:
                    _deliver(batch[0][1], error=error)
                    continue
                # One item may have poisoned the call: alone, each gets
                # its own result or its own error.
                for item, future in batch:
                    try:
                        (result,) = await self._call([item])
                    except Exception as item_error:
                        _deliver(future, error=item_error)
                    else:
                        _deliver(future, result)
                continue
            for (_, future), result in zip(batch, results):
                _deliver(future, result)

    async def _call(self, items):
        results = await self._loop.run_in_executor(self.executor, self.fn,
                                                   items)
        if len(results) != len(items):
            raise RuntimeError(
                f"batch function returned {len(results)} results "
                f"for {len(items)} items"
            )
        return results


def _deliver(future, result=None, error=None):
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
