"""One upload call in a child process, bounded and measured: wall time and the peak memory it added.

The child is forked from a server process that has already imported the services (the
multiprocessing "forkserver" context, preloading this module), so each call starts in a clean
process in tens of milliseconds. In the child, `RLIMIT_AS` caps the address space a little above
what the process already has, so a regression (a zip bomb inflated, entities expanded) fails
with `MemoryError` instead of eating the machine; the peak resident size (`ru_maxrss`) is read
before and after the call, and the call is timed. The parent kills a child that does not answer.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scoring.tabular import TableError, read_table
from submissions import imports, reviews, user_imports
from submissions.config import StoreConfig
from submissions.excel.errors import WorkbookRejected
from submissions.store import Store

# Headroom of address space above what the child already maps: RSS is what the bound measures,
# but allocators reserve more address space than they touch.
ADDRESS_SPACE_HEADROOM = 1024 * 2**20
CHILD_TIMEOUT = 60.0


@dataclass(frozen=True)
class Measured:
    """What one bounded call did: `outcome` is "rejected", "returned", "raised" or "died"."""

    outcome: str
    seconds: float = 0.0
    extra_bytes: int = 0
    code: str = ""
    message_zh: str = ""
    message_en: str = ""
    detail: str = ""


def _import_applications(store: Store, payload: dict) -> object:
    return imports.import_applications(store, payload["actor"], payload["round_id"], payload["data"])


def _import_users(store: Store, payload: dict) -> object:
    return user_imports.import_users(store, payload["actor"], payload["data"])


def _upload_offline(store: Store, payload: dict) -> object:
    return reviews.upload_offline(store, payload["actor"], payload["round_id"], payload["data"])


def _read_table(_store: None, payload: dict) -> object:
    return read_table(payload["path"])


def _inflate(_store: None, payload: dict) -> object:
    """A reader gone wrong (it inflates what it is given), to show that the bounds catch one."""
    inflated = bytearray(payload["megabytes"] * 2**20)
    inflated[::4096] = b"x" * len(inflated[::4096])  # every page touched, so it is resident
    return len(inflated)


CALLS: dict[str, Callable[[Store | None, dict], object]] = {
    "imports.import_applications": _import_applications,
    "user_imports.import_users": _import_users,
    "reviews.upload_offline": _upload_offline,
    "scoring.tabular.read_table": _read_table,
    "calibration.inflate": _inflate,
}


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def _child(connection, call: str, config: StoreConfig | None, clock: object, payload: dict) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + ADDRESS_SPACE_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    store = None
    if config is not None:
        store = Store(config, clock=clock, migrate=False)
        store.db.read(lambda session: None)  # the connection is open before measuring
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        result = CALLS[call](store, payload)
        seconds = time.perf_counter() - started
        found = {"outcome": "returned", "detail": repr(result)[:2000]}
    except WorkbookRejected as refused:
        seconds = time.perf_counter() - started
        found = {
            "outcome": "rejected",
            "code": refused.code,
            "message_zh": refused.message_zh,
            "message_en": refused.message_en,
        }
    except TableError as refused:  # the command line's reader, which speaks English only
        seconds = time.perf_counter() - started
        found = {"outcome": "rejected", "message_en": refused.message}
    except BaseException as exc:  # MemoryError included: the report says what happened
        seconds = time.perf_counter() - started
        found = {"outcome": "raised", "detail": f"{type(exc).__name__}: {str(exc)[:2000]}"}
    extra = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024  # KiB on Linux
    connection.send(Measured(seconds=seconds, extra_bytes=extra, **found))
    connection.close()
    if store is not None:
        store.close()


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # no effect once a server runs; the child imports then
    return context


def run_bounded(
    call: str,
    payload: dict,
    *,
    config: StoreConfig | None = None,
    clock: object = None,
    timeout: float = CHILD_TIMEOUT,
) -> Measured:
    """`CALLS[call](store, payload)` in a fresh child (a store opened on `config` when given)."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, call, config, clock, payload), daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            try:
                return receiver.recv()
            except EOFError:
                pass
        else:
            process.kill()
            return Measured("died", seconds=timeout, detail=f"no answer within {timeout:.0f} s; killed")
        process.join(timeout)
        return Measured("died", detail=f"the child ended with exit code {process.exitcode} before answering")
    finally:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        receiver.close()
