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


Head = tuple[Entry, Bucket]
"""A bucket and an entry no worse than its best, as it was when named (see ``WaitingList``)."""


class WaitingList:
    """Waiting workers, one heap per (district, occupation, sex, decile) bucket.

    Targeting filters on exactly those attributes, so a pledge draws from whole
    buckets. Heaps of bucket heads give the best worker of any set of buckets in
    O(log b). Narrow targeting merges the few buckets it admits. An untargeted
    pledge walks ``heads``, which names every non-empty bucket's best (a name is
    stale once its bucket's best changed, dropped when met). Broad targeting
    walks the heaps of ``index`` (one per district, occupation, sex and decile)
    for the values it admits on its most selective attribute, setting aside only
    buckets another of its filters refuses: a seat refilled at a close no longer
    sets aside every better bucket of the region.

    ``index`` is lazy, so that keeping it costs a take nothing: each of its heaps
    names every non-empty bucket it covers at least once with an entry no worse
    than the bucket's best. A new best is pushed to every heap; taking or
    removing one pushes nothing there. The first name met for a bucket is checked
    against its best: refreshed in place when the best got worse since, dropped
    when the bucket is empty or a better name exists. So a name at the top that
    is its bucket's best is the best of every bucket that heap covers. Names pile
    up only with pushes; every heap is rebuilt when they do.
    """

    __slots__ = ("buckets", "count", "districts", "heads", "index", "pushed")

    _NARROW = 64  # admitted-bucket combinations up to which a pledge merges buckets directly

    def __init__(self) -> None:
        self.buckets: dict[Bucket, list[Entry]] = {}
        self.heads: list[Head] = []
        self.index: tuple[dict[object, list[Head]], ...] = ({}, {}, {}, {})
        """Per bucket attribute (district, occupation, sex, decile): value → heads of its buckets."""
        self.districts: dict[str, None] = {}
        self.count = 0
        self.pushed = 0  # new bests pushed to ``index`` since the last rebuild: what bounds its names

    def push(self, entry: Entry, bucket: Bucket) -> None:
        heap = self.buckets.get(bucket)
        if heap is None:
            self.buckets[bucket] = heap = []
            self.districts[bucket[0]] = None
        if not heap or entry < heap[0]:  # a new best: every heap naming the bucket must know it
            item = (entry, bucket)
            heappush(self.heads, item)
            for by, value in zip(self.index, bucket, strict=True):
                named = by.get(value)
                if named is None:
                    by[value] = [item]
                else:
                    heappush(named, item)
            self.pushed += 1
        heappush(heap, entry)
        self.count += 1

    def remove(self, entry: Entry, bucket: Bucket) -> bool:
        """Take one worker off the list (a life event): O(bucket size), rare; False if not there."""
        heap = self.buckets.get(bucket)
        if not heap or entry not in heap:
            return False
        was_head = heap[0] == entry
        heap.remove(entry)  # the bucket's best can only get worse: ``index`` names stay no worse
        heapify(heap)
        self.count -= 1
        if was_head and heap:  # the old best's name in ``heads`` is stale now: name the new one
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
        self.index = ({}, {}, {}, {})
        for item in self.heads:
            for by, value in zip(self.index, item[1], strict=True):
                by.setdefault(value, []).append(item)
        heapify(self.heads)
        for by in self.index:
            for heap in by.values():
                heapify(heap)
        self.pushed = 0

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
        if combos <= self._NARROW:
            taken = self._merge(p, limit)
        else:
            sources = self._narrowest(p)
            taken = self._walk(limit) if sources is None else self._walk_index(p, limit, sources)
        self.count -= len(taken)
        bound = 2 * len(self.buckets) + 1024
        if self.pushed > bound or len(self.heads) > bound:
            self._rebuild_heads()
        return taken

    def _narrowest(self, p: Pledge) -> list[list[Head]] | None:
        """The heaps of the values ``p`` admits on its most selective filter; None: it has none.

        Selectivity is the share of the attribute's values admitted, a static estimate: exact
        when a pledge filters on one attribute; the walk sets aside what its other filters refuse.
        """
        best: tuple[float, int, tuple[object, ...]] | None = None
        if p.districts is not None:
            best = (len(p.districts) / max(len(self.districts), 1), 0, tuple(p.districts))
        if p.occupations is not None and (best is None or len(p.occupations) / _N_OCCUPATIONS < best[0]):
            best = (len(p.occupations) / _N_OCCUPATIONS, 1, tuple(p.occupations))
        if p.sexes is not None and (best is None or len(p.sexes) / _N_SEXES < best[0]):
            best = (len(p.sexes) / _N_SEXES, 2, tuple(p.sexes))
        cap = p.max_welfare_decile
        if cap is not None and (best is None or cap / _N_DECILES < best[0]):
            best = (cap / _N_DECILES, 3, tuple(range(1, cap + 1)))
        if best is None:
            return None
        by = self.index[best[1]]
        return [named for value in best[2] if (named := by.get(value))]

    def _pop(self, bucket: Bucket, heap: list[Entry]) -> Entry:
        """Take ``bucket``'s best; ``heads`` names its new best (``index`` refreshes when it meets it)."""
        entry = heappop(heap)
        if heap:
            heappush(self.heads, (heap[0], bucket))
        return entry

    def _walk(self, limit: int) -> list[Entry]:
        """The best ``limit`` entries of all (an untargeted pledge): the top of ``heads``."""
        heads, buckets = self.heads, self.buckets
        taken: list[Entry] = []
        while heads and len(taken) < limit:
            entry, bucket = heappop(heads)
            heap = buckets[bucket]
            if heap and heap[0] == entry:  # else stale
                taken.append(self._pop(bucket, heap))
        return taken

    def _walk_index(self, p: Pledge, limit: int, sources: list[list[Head]]) -> list[Entry]:
        """The best ``limit`` entries ``p`` admits from the buckets named in ``sources``.

        Each source's top is made its bucket's best (refreshed or dropped, see the class) and
        admitted (refused buckets set aside until the end); the best top of all is taken; again.
        """
        buckets = self.buckets
        taken: list[Entry] = []
        aside: list[tuple[list[Head], Head]] = []
        while len(taken) < limit:
            best: Head | None = None
            for named in sources:
                while named:
                    entry, bucket = top = named[0]
                    heap = buckets[bucket]
                    if not heap or heap[0] < entry:  # emptied, or named better elsewhere (or set aside)
                        heappop(named)
                    elif heap[0] != entry:  # its best got worse since it was named: name the best now
                        heapreplace(named, (heap[0], bucket))
                    elif not p.admits(*bucket):
                        aside.append((named, heappop(named)))
                    else:
                        if best is None or entry < best[0]:
                            best = top
                        break
            if best is None:
                break
            bucket = best[1]
            taken.append(self._pop(bucket, buckets[bucket]))  # its ``index`` names: refreshed when met
        for named, item in aside:
            heappush(named, item)
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
