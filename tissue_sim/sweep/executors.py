"""Executors: a local process pool or a Dask cluster, behind one interface.

Both run a picklable function over a list of tasks and yield ``(task, outcome)`` pairs
as tasks finish (``outcome`` is the function's return value, or the exception that
escaped it, e.g. a worker process that died). The sweep runner drives both the same way.

Worker processes run with one BLAS/OpenMP thread (``OMP_NUM_THREADS`` and friends set to
1 while the workers start): N single-threaded workers use N cores without
oversubscription, and a run's floating-point reductions do not depend on thread timing.
Workers of an external Dask cluster (``address``) are started by the user; Dask's nanny
sets the same variables by default (``distributed.nanny.pre-spawn-environ``).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Protocol, TypeVar

__all__ = [
    "EXECUTOR_KINDS",
    "SINGLE_THREAD_ENVIRONMENT",
    "DaskExecutor",
    "LocalExecutor",
    "SweepExecutor",
    "default_workers",
    "make_executor",
    "single_thread_environment",
]

T = TypeVar("T")

#: ``local`` (process pool, default) or ``dask`` (distributed).
EXECUTOR_KINDS = ("local", "dask")

#: Environment of worker processes: one thread per BLAS/OpenMP library and for the
#: compiled element kernels (``NUMBA_NUM_THREADS``, :mod:`tissue_sim.fem._threads`).
SINGLE_THREAD_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


def default_workers() -> int:
    """The CPUs this process may use (its affinity mask where available)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@contextmanager
def single_thread_environment() -> Iterator[None]:
    """Set :data:`SINGLE_THREAD_ENVIRONMENT` for processes started inside the block."""
    saved = {name: os.environ.get(name) for name in SINGLE_THREAD_ENVIRONMENT}
    os.environ.update(SINGLE_THREAD_ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class SweepExecutor(Protocol):
    """What the sweep runner needs of an executor (a context manager)."""

    #: One line for the user, e.g. ``"2 local worker processes"``.
    description: str

    def __enter__(self) -> SweepExecutor: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...

    def run(self, function: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]: ...


class _SingleThreadWorkers(ABC):
    """The exit shared by the executors: close the workers, then restore the environment."""

    _environment: AbstractContextManager[None]

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._close(error)
        finally:
            self._environment.__exit__(kind, error, trace)

    @abstractmethod
    def _close(self, error: BaseException | None) -> None:
        """Stop the workers (``error``: what ended the block, or ``None``)."""


class LocalExecutor(_SingleThreadWorkers):
    """A pool of ``workers`` local processes (``spawn`` start method).

    Parameters
    ----------
    workers
        Number of worker processes (default: :func:`default_workers`).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self.description = f"{self.workers} local worker process(es)"
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._environment = single_thread_environment()

    def __enter__(self) -> LocalExecutor:
        self._environment.__enter__()
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )
        return self

    def _close(self, error: BaseException | None) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=error is None, cancel_futures=True)

    def run(self, function: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Submit every task; yield ``(task, result or exception)`` as they finish."""
        assert self._pool is not None, "use the executor as a context manager"
        futures = {self._pool.submit(function, task): task for task in tasks}
        try:
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()
                yield futures[future], error if error is not None else future.result()
        finally:
            for future in futures:
                future.cancel()


class DaskExecutor(_SingleThreadWorkers):
    """Dask distributed: a new ``LocalCluster`` or the scheduler at ``address``.

    Parameters
    ----------
    workers
        Worker processes of a new local cluster (one thread each; default:
        :func:`default_workers`). Ignored with ``address``.
    address
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers or default_workers()
        self.address = address
        self.description = (
            f"the Dask scheduler at {address}"
            if address
            else f"a Dask LocalCluster of {self.workers} worker process(es)"
        )
        self._client: Any = None
        self._cluster: Any = None
        self._environment = single_thread_environment()

    def __enter__(self) -> DaskExecutor:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            from tissue_sim.errors import InputError

            raise InputError(
                "the dask executor needs the 'distributed' package: pip install 'tissue-sim[dask]'"
            ) from None
        self._environment.__enter__()
        try:
            if self.address:
                self._client = Client(self.address, timeout="30s")
                workers = len(self._client.scheduler_info().get("workers", {}))
                self.description += f" ({workers} worker(s) now)"
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    env=dict(SINGLE_THREAD_ENVIRONMENT),
                )
                self._client = Client(self._cluster)
        except BaseException as error:
            self.__exit__(type(error), error, error.__traceback__)
            raise
        return self

    def _close(self, error: BaseException | None) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def run(self, function: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Submit every task; yield ``(task, result or exception)`` as they finish."""
        from distributed import as_completed

        assert self._client is not None, "use the executor as a context manager"
        futures = {self._client.submit(function, task, pure=False): task for task in tasks}
        try:
            for future in as_completed(futures):
                if future.status == "finished":
                    yield futures[future], future.result()
                else:
                    yield futures[future], future.exception()
        finally:
            for future in futures:
                future.cancel()


def make_executor(
    kind: str, *, workers: int | None = None, address: str | None = None
) -> LocalExecutor | DaskExecutor:
    """An executor of ``kind`` (:data:`EXECUTOR_KINDS`).

    Raises
    ------
    InputError
        For an unknown kind, fewer than one worker, or an address without Dask.
    """
    from tissue_sim.errors import InputError

    if workers is not None and workers < 1:
        raise InputError(f"--workers: expected a whole number >= 1, got {workers}")
    if kind == "local":
        if address:
            raise InputError("--address names a Dask scheduler: add --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, address)
    raise InputError(f"--executor: expected one of {', '.join(EXECUTOR_KINDS)}, got {kind!r}")
