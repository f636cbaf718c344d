"""The region's waiting list: the best waiting workers a pledge admits, fast at a million."""

from __future__ import annotations

from heapq import heapify, heappop, heappush, heapreplace

from models.matcher.entities import Bucket, Entry, Pledge
from models.nik import Sex
from models.occupations import Occupation

__all__ = ["WaitingList"]

_OCCUPATIONS = tuple(Occupation)
_SEXES = tuple(Sex)
_DECILES = range(11)
_N_OCCUPATIONS, _N_SEXES, _N_DECILES = len(_OCCUPATIONS), len(_SEXES), len(_DECILES)


class WaitingList:
    """Waiting workers, one heap per (district, occupation, sex, decile) bucket.

    Targeting filters on exactly those attributes, so a pledge draws from whole
    buckets. A lazy heap of bucket heads (``heads``) gives the best worker of
    any set of buckets in O(log b): narrow targeting merges the few buckets it
    admits; broad targeting walks the heads, setting aside buckets it does not
    admit. A heads entry is stale once its bucket's head changed; stale entries
    are dropped when met and the heap is rebuilt when they pile up.
    """

    __slots__ = ("buckets", "count", "districts", "heads")

    _NARROW = 64  # admitted-bucket combinations up to which a pledge merges buckets directly

    def __init__(self) -> None:
        self.buckets: dict[Bucket, list[Entry]] = {}
        self.heads: list[tuple[Entry, Bucket]] = []
        self.districts: dict[str, None] = {}
        self.count = 0

    def push(self, entry: Entry, bucket: Bucket) -> None:
        heap = self.buckets.get(bucket)
        if heap is None:
            self.buckets[bucket] = heap = []
            self.districts[bucket[0]] = None
        if not heap or entry < heap[0]:
            heappush(self.heads, (entry, bucket))
        heappush(heap, entry)
        self.count += 1

    def remove(self, entry: Entry, bucket: Bucket) -> bool:
        """Take one worker off the list (a life event): O(bucket size), rare; False if not there."""
        heap = self.buckets.get(bucket)
        if not heap or entry not in heap:
            return False
        was_head = heap[0] == entry
        heap.remove(entry)
        heapify(heap)
        self.count -= 1
        if was_head and heap:  # the old head's entry in ``heads`` is stale now: name the new one
            heappush(self.heads, (heap[0], bucket))
        return True

    def restore(self, entries: list[tuple[Entry, Bucket]]) -> None:
        for entry, bucket in entries:
            heap = self.buckets.get(bucket)
            if heap is None:
                self.buckets[bucket] = heap = []
                self.districts[bucket[0]] = None
            heap.append(entry)
        for heap in self.buckets.values():
            heapify(heap)
        self.count = len(entries)
        self._rebuild_heads()

    def _rebuild_heads(self) -> None:
        self.heads = [(heap[0], bucket) for bucket, heap in self.buckets.items() if heap]
        heapify(self.heads)

    def take(self, p: Pledge, limit: int) -> list[Entry]:
        """Remove and return the best ``limit`` entries ``p`` admits, best first."""
        if limit <= 0 or not self.count:
            return []
        combos = (
            (len(p.districts) if p.districts is not None else len(self.districts))
            * (len(p.occupations) if p.occupations is not None else _N_OCCUPATIONS)
            * (len(p.sexes) if p.sexes is not None else _N_SEXES)
            * (p.max_welfare_decile if p.max_welfare_decile is not None else _N_DECILES)
        )
        taken = self._merge(p, limit) if combos <= self._NARROW else self._walk(p, limit)
        self.count -= len(taken)
        if len(self.heads) > 2 * len(self.buckets) + 1024:
            self._rebuild_heads()
        return taken

    def _pop(self, bucket: Bucket, heap: list[Entry]) -> Entry:
        entry = heappop(heap)
        if heap:
            heappush(self.heads, (heap[0], bucket))
        return entry

    def _walk(self, p: Pledge, limit: int) -> list[Entry]:
        heads, buckets = self.heads, self.buckets
        taken: list[Entry] = []
        aside: list[tuple[Entry, Bucket]] = []
        while heads and len(taken) < limit:
            entry, bucket = heads[0]
            heap = buckets[bucket]
            if not heap or heap[0] != entry:
                heappop(heads)  # stale
            elif not p.admits(*bucket):
                aside.append(heappop(heads))
            else:
                heappop(heads)
                taken.append(self._pop(bucket, heap))
        for item in aside:
            heappush(heads, item)
        return taken

    def _merge(self, p: Pledge, limit: int) -> list[Entry]:
        buckets = self.buckets
        districts = p.districts if p.districts is not None else self.districts
        occupations = p.occupations if p.occupations is not None else _OCCUPATIONS
        sexes = p.sexes if p.sexes is not None else _SEXES
        deciles = range(1, p.max_welfare_decile + 1) if p.max_welfare_decile is not None else _DECILES
        heaps: list[tuple[Bucket, list[Entry]]] = []
        for d in districts:
            for o in occupations:
                for s in sexes:
                    for c in deciles:
                        heap = buckets.get((d, o, s, c))
                        if heap:
                            heaps.append(((d, o, s, c), heap))
        merge = [(heap[0], i) for i, (_, heap) in enumerate(heaps)]
        heapify(merge)
        taken: list[Entry] = []
        while merge and len(taken) < limit:
            _, i = merge[0]
            bucket, heap = heaps[i]
            taken.append(self._pop(bucket, heap))
            if heap:
                heapreplace(merge, (heap[0], i))
            else:
                heappop(merge)
        return taken

    def entries(self) -> list[Entry]:
        return sorted(e for heap in self.buckets.values() for e in heap)
