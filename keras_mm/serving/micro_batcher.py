"""Groups concurrent requests into one model call (max batch, max wait)."""

import asyncio


class MicroBatcher:
    """Collects items submitted by concurrent coroutines into batches.

    The first waiting item opens a batch; the batch closes when it holds
    `max_batch_size` items or `max_wait_ms` has passed. `fn(items)` (a
    blocking function returning one result per item, in order) then runs
    in `executor`, never on the event loop. While it runs, new items queue
    up, so under load batches fill without waiting.

    Args:
        fn: callable, list of items -> list of results.
        max_batch_size: int. Largest batch handed to `fn`.
        max_wait_ms: float. How long a batch waits for more items.
        executor: a `concurrent.futures.Executor` (one thread keeps model
            calls serial); None uses the loop's default executor.
        on_batch: optional callable(batch_size), e.g. a metrics hook.

    Example:
    ```python
    batcher = MicroBatcher(lambda xs: [x * 2 for x in xs], max_batch_size=8)
    result = await batcher.submit(21)  # 42
    ```
    """

    def __init__(self, fn, max_batch_size=32, max_wait_ms=2.0,
                 executor=None, on_batch=None):
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

    async def submit(self, item):
        """Waits for and returns `fn`'s result for `item`."""
        self._ensure_worker()
        future = self._loop.create_future()
        await self._queue.put((item, future))
        return await future

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
            except asyncio.TimeoutError:
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
                results = await self._loop.run_in_executor(
                    self.executor, self.fn, [item for item, _ in batch]
                )
                if len(results) != len(batch):
                    raise RuntimeError(
                        f"batch function returned {len(results)} results "
                        f"for {len(batch)} items"
                    )
            except Exception as error:  # Every waiter gets the error.
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
