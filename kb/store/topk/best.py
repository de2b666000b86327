"""The best ``k`` papers seen so far, in FTS5's order (score, then rowid)."""

from __future__ import annotations

import heapq


class Best:
    """A min-heap of (score, -rowid): the k-th best on top, so ties go to the lower rowid as
    FTS5's ``ORDER BY rank, rowid`` has them. Scores are positive (bm25 negated)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[float, int]] = []

    def offer(self, score: float, rid: int) -> None:
        item = (score, -rid)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        elif item > self.heap[0]:
            heapq.heapreplace(self.heap, item)

    def full(self) -> bool:
        return len(self.heap) >= self.k

    def kth(self) -> float:
        """The k-th best score (any paper that can only score less is out)."""
        return self.heap[0][0]

    def ranking(self) -> list[tuple[float, int]]:
        """(bm25, rowid) best first, as FTS5 gives them (bm25 negative)."""
        return sorted((-0.0 - s, -r) for s, r in self.heap)
