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
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from quyche_rules.service.store import DecisionRecord, Store

_Item = tuple[list[DecisionRecord], "Future[None]"]


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

        try:
            self.store.append_decisions([r for recs, _ in group for r in recs], late)
            self.transactions += 1
        except Exception:
            for recs, fut in group:
                try:
                    self.store.append_decisions(recs)
                    self.transactions += 1
                except Exception as exc:
                    fut.set_exception(exc)
                else:
                    fut.set_result(None)
            return
        for _, fut in group:
            fut.set_result(None)
