"""One interface for running tasks serially, on local processes, or on a Dask cluster.

``executor.imap_unordered(fn, tasks)`` yields results as tasks finish, keeping at most a few tasks
per worker in flight so memory does not grow with the number of tasks. Results are independent of
the backend: every run carries its own seed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from diplosim.io.errors import InputError
from diplosim.io.extras import require
from diplosim.io.options import BACKENDS


class Executor(Protocol):
    workers: int
    description: str

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class SerialExecutor:
    def __init__(self) -> None:
        self.workers = 1
        self.description = "serial"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        pass


def _bounded(submit: Callable[[Any], Any], tasks: Iterable[Any], window: int,
             wait_any: Callable[[set[Any]], tuple[set[Any], set[Any]]],
             result: Callable[[Any], Any]) -> Iterator[Any]:
    pending: set[Any] = set()
    it = iter(tasks)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                pending.add(submit(next(it)))
            except StopIteration:
                exhausted = True
        if not pending:
            return
        done, pending = wait_any(pending)
        for fut in done:
            yield result(fut)


def start_method() -> str:
    """``fork`` where it is available and safe (no other thread in this process): workers then
    start in milliseconds with the parent's imports; else ``spawn`` (each worker imports the
    model, about two seconds)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _worker_signals() -> None:
    """Workers leave interrupts to the parent: Ctrl-C reaches the whole process group, and the
    parent cancels what has not started and waits for the tasks in flight to finish."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class ProcessExecutor:
    """Local worker processes, all started at once when the executor is made."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        method = start_method()
        self.description = f"process ({workers} workers, {method})"
        self._pool = ProcessPoolExecutor(max_workers=workers,
                                         mp_context=multiprocessing.get_context(method),
                                         initializer=_worker_signals)
        self._pool.submit(os.getpid).result()  # launch the workers now, before any thread

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        def wait_any(pending: set[Future[Any]]) -> tuple[set[Future[Any]], set[Future[Any]]]:
            done, rest = wait(pending, return_when=FIRST_COMPLETED)
            return set(done), set(rest)

        return _bounded(lambda t: self._pool.submit(fn, t), tasks, 3 * self.workers,
                        wait_any, lambda f: f.result())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A Dask cluster: the scheduler at ``address``, or a local cluster started for the sweep."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        require("dask", "--backend dask")
        from distributed import Client, LocalCluster  # untyped library
        self._cluster: Any = None
        if address:
            try:
                self._client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise InputError.single(f"cannot reach the Dask scheduler ({exc})",
                                        source="--scheduler", value=address,
                                        allowed="an address like tcp://host:8786") from None
            info = self._client.scheduler_info()
            self.workers = max(sum(w.get("nthreads", 1) for w in info["workers"].values()), 1)
            self.description = f"dask at {address} ({self.workers} worker threads)"
        else:
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
            self._client = Client(self._cluster)  # type: ignore[no-untyped-call]
            self.workers = workers
            self.description = f"dask local cluster ({workers} workers)"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import wait as dask_wait

        def wait_any(pending: set[Any]) -> tuple[set[Any], set[Any]]:
            done, rest = dask_wait(  # type: ignore[no-untyped-call]
                list(pending), return_when="FIRST_COMPLETED")
            return set(done), set(rest)

        # pure=False: two tasks with equal arguments must both run (Dask would merge them).
        return _bounded(lambda t: self._client.submit(fn, t, pure=False), tasks,
                        3 * self.workers, wait_any, lambda f: f.result())

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]
        if self._cluster is not None:
            self._cluster.close()


def make_executor(backend: str, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """Where a sweep's tasks run: ``serial`` (this process), ``process`` (``workers`` local
    processes, default all cores) or ``dask`` (a local cluster, or ``scheduler``'s address).
    An unknown backend is an :class:`InputError`."""
    if backend not in BACKENDS:
        raise InputError.single("unknown backend", source="--backend", value=backend,
                                allowed=", ".join(BACKENDS))
    if workers is not None and workers < 1:
        raise InputError.single("must be at least 1", source="--workers", value=workers)
    if scheduler and backend != "dask":
        raise InputError.single("a scheduler address needs --backend dask",
                                source="--scheduler", value=scheduler)
    if backend == "dask":
        require("dask", "--backend dask")
    n = workers or available_cores()
    if backend == "serial":
        return SerialExecutor()
    if backend == "process":
        return ProcessExecutor(n)
    return DaskExecutor(n, scheduler)
