"""EmbeddingCache: LRU order, eviction by bytes, oversize values, thread safety basics."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from dis_annotator.engine.embedding_cache import MIB, EmbeddingCache
from dis_annotator.engine.sam_backbone import DEFAULT_CACHE_MB
from dis_annotator.engine.sam_embedding import SamEmbedding


@dataclass
class Blob:
    nbytes: int


def test_evicts_least_recently_used_by_size():
    cache: EmbeddingCache[Blob] = EmbeddingCache(capacity_mb=10)
    for k in "abc":
        cache.put(k, Blob(3 * MIB))
    assert cache.keys() == ["a", "b", "c"] and cache.total_bytes == 9 * MIB
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", Blob(3 * MIB))  # 12 MiB > 10: the oldest (b) goes
    assert cache.keys() == ["c", "a", "d"] and cache.total_bytes == 9 * MIB
    cache.put("e", Blob(7 * MIB))  # needs room for 7: c and a go
    assert cache.keys() == ["d", "e"] and cache.total_bytes == 10 * MIB
    assert cache.get("b") is None and cache.misses == 1 and cache.hits == 1


def test_oversize_value_is_not_kept_and_replacing_updates_size():
    cache: EmbeddingCache[Blob] = EmbeddingCache(capacity_mb=1)
    cache.put("x", Blob(MIB // 2))
    cache.put("x", Blob(MIB // 4))
    assert cache.total_bytes == MIB // 4 and len(cache) == 1
    cache.put("huge", Blob(2 * MIB))
    assert "huge" not in cache and cache.keys() == ["x"]
    cache.discard("x")
    assert cache.total_bytes == 0 and len(cache) == 0


def test_default_budget_fits_sixteen_vit_b_embeddings():
    # vit_b: features (1, 256, 64, 64) + first global block output (1, 64, 64, 768), fp32
    emb = SamEmbedding(torch.zeros(1, 256, 64, 64), torch.zeros(1, 64, 64, 768), (1, 1), (1, 1))
    assert emb.nbytes == 16 * MIB
    cache: EmbeddingCache[SamEmbedding] = EmbeddingCache(DEFAULT_CACHE_MB)
    for i in range(17):
        cache.put(i, emb)
    assert len(cache) == 16 and cache.keys()[0] == 1


def test_concurrent_puts_keep_the_byte_count_exact():
    cache: EmbeddingCache[Blob] = EmbeddingCache(capacity_mb=5)
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, MIB, size=400)

    def work(offset: int) -> None:
        for i, s in enumerate(sizes[offset::4]):
            cache.put((offset, i), Blob(int(s)))
            cache.get((offset, i - 1))

    threads = [threading.Thread(target=work, args=(o,)) for o in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.total_bytes <= cache.capacity_bytes
    assert cache.total_bytes == sum(cache.get(k).nbytes for k in cache.keys())
