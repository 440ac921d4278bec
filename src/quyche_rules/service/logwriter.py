"""Group commit for the decision log: one writer thread appends the decisions of every
request waiting at that moment in ONE transaction, so that many concurrent requests share
one fsync instead of queueing for one each.

The writer never waits for company: it takes what is queued when it wakes, and once its
transaction has begun (on SQLite: holds the write lock) it takes what queued meanwhile
(while it waited for the lock or for the previous commit's fsync), so under load one
fsync covers many requests and a lone request pays for its own only.

A request still returns only after its own decisions are committed (it waits on a
future), so nothing acknowledged can be lost. If a group's transaction fails, each
request's decisions are retried alone: a bad one fails by itself and never takes its
neighbours down with it.

A request on the event loop (``submit_async``) waits on an asyncio future, and the writer
wakes each loop once per group (one ``call_soon_threadsafe`` settling every future of the
group), not once per decision: whatever the writer runs in Python holds the interpreter
lock the loop needs, and a wake-up writes to the loop's pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from concurrent.futures import Future
from typing import TypeAlias

from quyche_rules.service.store import DecisionRecord, Store

_Waiter: TypeAlias = "Future[None] | asyncio.Future[None]"
_Item: TypeAlias = tuple[list[DecisionRecord], _Waiter]
_Outcome: TypeAlias = tuple["asyncio.Future[None]", BaseException | None]


class DecisionWriter:
    def __init__(self, store: Store, *, max_group: int = 512, start: bool = True) -> None:
        self.store = store
        self.max_group = max_group
        self.transactions = 0  # how many commits carried the decisions: for the benchmark
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="quyche-decision-log", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        self._thread.start()

    def submit(self, records: list[DecisionRecord]) -> Future[None]:
        fut: Future[None] = Future()
        self._queue.put((records, fut))
        return fut

    def submit_async(self, records: list[DecisionRecord]) -> asyncio.Future[None]:
        """``submit`` for a caller on the running event loop: an asyncio future, settled
        on that loop once the decisions are committed (or failed)."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put((records, fut))
        return fut

    def append(self, records: list[DecisionRecord]) -> None:
        """Append and wait until committed; raises the store's error if it failed."""
        if records:
            self.submit(records).result()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            self._drain(group)
            self._commit(group)

    def _drain(self, group: list[_Item]) -> None:
        """Add every request already waiting to ``group``, up to ``max_group`` decisions.
        Never waits: a lone request is not held back for company."""
        size = sum(len(recs) for recs, _ in group)
        while size < self.max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            group.append(item)
            size += len(item[0])

    def _commit(self, group: list[_Item]) -> None:
        def late() -> list[DecisionRecord]:
            # asked once the transaction has begun (SQLite: the write lock is held):
            # requests that queued while the writer waited for it join this commit
            before = len(group)
            self._drain(group)
            return [r for recs, _ in group[before:] for r in recs]

        outcomes: list[tuple[_Waiter, BaseException | None]] = []
        try:
            self.store.append_decisions([r for recs, _ in group for r in recs], late)
            self.transactions += 1
            outcomes = [(fut, None) for _, fut in group]
        except Exception:
            for recs, fut in group:
                try:
                    self.store.append_decisions(recs)
                    self.transactions += 1
                except Exception as exc:
                    outcomes.append((fut, exc))
                else:
                    outcomes.append((fut, None))
        _settle(outcomes)


def _settle(outcomes: list[tuple[_Waiter, BaseException | None]]) -> None:
    """Settle each waiter: a thread's future here, a loop's futures in one call on it."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for fut, exc in outcomes:
        if isinstance(fut, asyncio.Future):
            by_loop.setdefault(fut.get_loop(), []).append((fut, exc))
        elif exc is None:
            fut.set_result(None)
        else:
            fut.set_exception(exc)
    for loop, done in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle_on_loop, done)


def _settle_on_loop(done: list[_Outcome]) -> None:
    for fut, exc in done:
        if fut.done():  # the request was cancelled (its client went away)
            continue
        if exc is None:
            fut.set_result(None)
        else:
            fut.set_exception(exc)
