"""Run a compiled kernel over index ranges on a few threads (private).

The element and law kernels are compiled with ``nogil=True`` and work on a range
``start:stop`` of independent items (cells, quadrature points), writing into
preallocated outputs; :func:`run_ranges` splits the items into as many ranges as
numba may use threads (:func:`numba.get_num_threads`, i.e. ``NUMBA_NUM_THREADS`` or
:func:`numba.set_num_threads`) and runs them on a small persistent thread pool, the
calling thread doing the first range. Every item is computed alone, so the result is
bitwise the same for any number of threads.

Why not ``numba.prange``: its OpenMP layer busy-waits at the end of a parallel region
until every worker has run; on a shared or oversubscribed machine a worker that waits
for a core doubled the CPU time of a residual evaluation and made it slower than one
thread (measured), and the ``workqueue`` layer cannot be entered from two threads at
once. Pool threads sleep while idle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba

__all__ = ["run_ranges", "split"]

_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0
_LOCK = threading.Lock()


def split(n: int, minimum: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges covering ``0:n``: one per allowed thread, each at least
    ``minimum`` items (a single range for small ``n``)."""
    parts = max(1, min(numba.get_num_threads(), n // max(minimum, 1)))
    return [(k * n // parts, (k + 1) * n // parts) for k in range(parts)]


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL, _POOL_SIZE
    with _LOCK:
        if _POOL is None or workers > _POOL_SIZE:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tissue-sim-kernel")
            _POOL_SIZE = workers
        return _POOL


def run_ranges(kernel: Callable[[int, int], None], n: int, *, minimum: int = 64) -> None:
    """Call ``kernel(start, stop)`` on ranges covering ``0:n`` (see the module description).

    Parameters
    ----------
    kernel
        Works on the items ``start:stop`` and writes its results in place; it must
        release the GIL (a ``nogil`` compiled function) for the ranges to overlap.
    n
        Number of items.
    minimum
        Fewest items per range (below ``2 * minimum`` items, one call on this thread).
    """
    ranges = split(n, minimum)
    if len(ranges) == 1:
        kernel(0, n)
        return
    pool = _pool(len(ranges) - 1)
    futures = [pool.submit(kernel, start, stop) for start, stop in ranges[1:]]
    try:
        kernel(*ranges[0])
    finally:
        for future in futures:
            future.result()
