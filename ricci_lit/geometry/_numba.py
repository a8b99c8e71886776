"""Compiled (numba) kernels for the two hot loops of the geometry core.

* :func:`bfs_block` — one block of the bit-parallel all-sources BFS of
  :mod:`ricci_lit.geometry.distances`: per level, ``N[v] = (OR_{u ∈ N(v)} F[u]) AND NOT V[v]`` fused in
  one pass over the CSR lists (no gathered temporary), popcounts by SWAR.
* :func:`select_rows` — per row of a distance block, every column whose value is ``≤`` the
  row's ``k``-th smallest (a size-``k`` max-heap), sorted by ``(value, column)``.
* :func:`knn_block` — the kNN search's block in one fused pass, rows split over threads (the
  kernel runs without the GIL): Gram product → squared distances, the selection of
  :func:`select_rows`, the dense rank and the near-tie flag; :func:`select_rows` is its fallback.
* :func:`knn_line` — points on a line (``d = 1``): a sorted order and a per-point window replace
  the distance blocks (``O(n log n)`` instead of ``O(n²)``), with the same values and order.

The selection fallback is single-threaded, and so is each BFS block: on a shared 2-core machine
numba's parallel regions (one per BFS level) spent 40 ms waiting at barriers for a BFS that takes
0.7 ms on one thread. Instead, :func:`knn_block` splits each distance block (about 10⁶ entries)
over plain threads, and :mod:`ricci_lit.geometry.distances` runs independent source blocks of the
BFS on plain threads (both kernels release the GIL), where that overhead is small; numba's ``parallel=True`` is not used at all, because its
GNU OpenMP layer makes a later ``fork()`` abort the child process.

Both have pure-NumPy twins in :mod:`ricci_lit.geometry.distances` and :mod:`ricci_lit.geometry.knn`
(``engine="numpy"``) and the tests check that the two agree exactly. When numba is not
installed ``engine="auto"`` falls back to NumPy.
"""
from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # numba is a dependency, but the package still works (more slowly) without it
    import numba as _nb

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is absent
    _nb = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "kernel_threads", "SPARSE_BFS_WORDS", "uses_word_lists", "single_threaded_blas", "resolve_engine", "bfs_block", "select_rows", "gram_to_sqdist", "knn_block", "knn_line",
           "knn_candidates", "symmetric_csr"]

ENGINES = ("auto", "numba", "numpy")

def kernel_threads() -> int:
    """Threads of :func:`knn_block`, of the k-d tree queries and of the BFS's source blocks: plain
    Python threads around GIL-free kernels, not numba's ``parallel=True`` (its GNU OpenMP layer
    makes a later ``fork()``, multiprocessing's default on Linux, abort the child). The results
    never depend on it.

    ``$NUMBA_NUM_THREADS`` when it is a positive integer (a Dask worker of
    :mod:`ricci_lit.experiments.executors` sets it to 1), else the CPUs this process may use; at
    most 8. Read at every call, not at import: a worker process may import this module before its
    environment is set (a spawned worker re-imports the parent's main module first)."""
    env = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return min(8, int(env))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cpus))


def resolve_engine(engine: str) -> str:
    """``"auto"`` → ``"numba"`` when numba imports, else ``"numpy"``; validates the name."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "numba" if HAVE_NUMBA else "numpy"
    if engine == "numba" and not HAVE_NUMBA:
        raise ValueError("engine='numba' was requested but numba is not installed")
    return engine


if HAVE_NUMBA:
    _M1 = np.uint64(0x5555555555555555)
    _M2 = np.uint64(0x3333333333333333)
    _M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
    _H01 = np.uint64(0x0101010101010101)

    @_nb.njit(cache=True, inline="always")
    def _popcount64(x):
        x = x - ((x >> np.uint64(1)) & _M1)
        x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
        x = (x + (x >> np.uint64(4))) & _M4
        return (x * _H01) >> np.uint64(56)

    @_nb.njit(cache=True, inline="always")
    def _write_level(dist, v, first, x, level):
        """``dist[v, first + b] = level`` for every set bit ``b`` of the word ``x``."""
        while x != np.uint64(0):
            low = x & (~x + np.uint64(1))
            b = _popcount64(low - np.uint64(1))  # index of the lowest set bit
            dist[v, first + b] = level
            x ^= low

    @_nb.njit(cache=True, nogil=True)
    def _bfs_block_dense(indptr, indices, n, s0, s1, dist, write_dist):
        """All sources ``s0 … s1−1`` at once, 64 to a word: per level, every word of every active
        neighbour is ORed (a loop the compiler vectorises); best for few words."""
        bw = (s1 - s0 + 63) // 64
        visited = np.zeros((n, bw), dtype=np.uint64)
        frontier = np.zeros((n, bw), dtype=np.uint64)
        nxt = np.zeros((n, bw), dtype=np.uint64)
        # seen[v]: sources that have reached v; a vertex reached by every source of the block
        # gains nothing more and is skipped, and so is a neighbour whose frontier row is empty
        seen = np.zeros(n, dtype=np.int64)
        active = np.zeros(n, dtype=np.bool_)
        nxt_active = np.zeros(n, dtype=np.bool_)
        n_src = s1 - s0
        for s in range(s0, s1):
            loc = s - s0
            bit = np.uint64(1) << np.uint64(loc % 64)
            visited[s, loc // 64] |= bit
            frontier[s, loc // 64] |= bit
            seen[s] += 1
            active[s] = True
        counts = np.zeros(n, dtype=np.int64)
        total = 0
        reached = 0
        diameter = 0
        level = 0
        while True:
            level += 1
            for v in range(n):
                row = nxt[v]
                for w in range(bw):
                    row[w] = np.uint64(0)
                nxt_active[v] = False
                counts[v] = 0
                if seen[v] == n_src:
                    continue
                for p in range(indptr[v], indptr[v + 1]):
                    u = indices[p]
                    if not active[u]:
                        continue
                    fu = frontier[u]
                    for w in range(bw):
                        row[w] |= fu[w]
                c = 0
                vis = visited[v]
                for w in range(bw):
                    x = row[w] & ~vis[w]
                    row[w] = x
                    vis[w] |= x
                    if x != np.uint64(0):
                        c += _popcount64(x)
                        if write_dist:
                            _write_level(dist, v, s0 + w * 64, x, level)
                counts[v] = c
                seen[v] += c
                nxt_active[v] = c > 0
            cnt = 0
            for v in range(n):
                cnt += counts[v]
            if cnt == 0:
                break
            total += level * cnt
            reached += cnt
            diameter = level
            frontier, nxt = nxt, frontier
            active, nxt_active = nxt_active, active
        return total, reached, diameter

    @_nb.njit(cache=True, nogil=True)
    def _bfs_block_sparse(indptr, indices, n, s0, s1, dist, write_dist):
        """All sources ``s0 … s1−1`` at once, 64 to a word, keeping for every vertex the list of
        its frontier's non-empty words: a level ORs only those words of each active neighbour,
        and clears and masks only the words it touched. When sources that are close in the
        graph share words (see :func:`ricci_lit.geometry.distances.hop_distance_totals`, which
        relabels vertices in a bandwidth-reducing order), a word is on a vertex's frontier for
        a few levels only, so a level costs far less than ``|E| · words``."""
        bw = (s1 - s0 + 63) // 64
        visited = np.zeros((n, bw), dtype=np.uint64)
        frontier = np.zeros((n, bw), dtype=np.uint64)
        nxt = np.zeros((n, bw), dtype=np.uint64)
        # f_cnt[v], f_idx[v, :f_cnt[v]]: the non-empty words of frontier[v] (same for nxt)
        f_cnt = np.zeros(n, dtype=np.int64)
        f_idx = np.zeros((n, bw), dtype=np.int32)
        x_cnt = np.zeros(n, dtype=np.int64)
        x_idx = np.zeros((n, bw), dtype=np.int32)
        touched = np.zeros(bw, dtype=np.int32)
        # seen[v]: sources that have reached v; a vertex reached by every source of the block
        # gains nothing more and is skipped
        seen = np.zeros(n, dtype=np.int64)
        n_src = s1 - s0
        for s in range(s0, s1):
            loc = s - s0
            w = loc // 64
            bit = np.uint64(1) << np.uint64(loc % 64)
            visited[s, w] |= bit
            frontier[s, w] |= bit
            f_idx[s, 0] = w
            f_cnt[s] = 1
            seen[s] += 1
        total = 0
        reached = 0
        diameter = 0
        level = 0
        while True:
            level += 1
            cnt = 0
            for v in range(n):
                row = nxt[v]
                for a in range(x_cnt[v]):  # clear what this buffer held two levels ago
                    row[x_idx[v, a]] = np.uint64(0)
                x_cnt[v] = 0
                if seen[v] == n_src:
                    continue
                listed = 0
                active = 0
                for p in range(indptr[v], indptr[v + 1]):
                    fc = f_cnt[indices[p]]
                    listed += fc
                    active += 1 if fc > 0 else 0
                m = 0
                if listed * 8 > active * bw:  # dense frontiers: OR whole rows (vectorised)
                    for p in range(indptr[v], indptr[v + 1]):
                        u = indices[p]
                        if f_cnt[u] == 0:
                            continue
                        fu = frontier[u]
                        for w in range(bw):
                            row[w] |= fu[w]
                    for w in range(bw):
                        touched[w] = w
                    m = bw
                else:
                    for p in range(indptr[v], indptr[v + 1]):
                        u = indices[p]
                        fu = frontier[u]
                        for a in range(f_cnt[u]):
                            w = f_idx[u, a]
                            if row[w] == np.uint64(0):
                                touched[m] = w
                                m += 1
                            row[w] |= fu[w]
                c = 0
                q = 0
                vis = visited[v]
                for a in range(m):
                    w = touched[a]
                    x = row[w] & ~vis[w]
                    row[w] = x
                    if x != np.uint64(0):
                        vis[w] |= x
                        x_idx[v, q] = w
                        q += 1
                        c += _popcount64(x)
                        if write_dist:
                            _write_level(dist, v, s0 + w * 64, x, level)
                x_cnt[v] = q
                seen[v] += c
                cnt += c
            if cnt == 0:
                break
            total += level * cnt
            reached += cnt
            diameter = level
            frontier, nxt = nxt, frontier
            f_cnt, x_cnt = x_cnt, f_cnt
            f_idx, x_idx = x_idx, f_idx
        return total, reached, diameter

    @_nb.njit(cache=True, inline="always")
    def _heap_push(heap, size, d):
        """Insert ``d`` into the max-heap ``heap[:size]`` (which then holds ``size + 1`` values)."""
        pos = size
        while pos > 0:
            parent = (pos - 1) // 2
            if heap[parent] >= d:
                break
            heap[pos] = heap[parent]
            pos = parent
        heap[pos] = d

    @_nb.njit(cache=True, inline="always")
    def _heap_replace_top(heap, k, d):
        """Replace the largest value of the full max-heap ``heap[:k]`` by ``d`` (smaller) and sift."""
        pos = 0
        while True:
            child = 2 * pos + 1
            if child >= k:
                break
            if child + 1 < k and heap[child + 1] > heap[child]:
                child += 1
            if heap[child] <= d:
                break
            heap[pos] = heap[child]
            pos = child
        heap[pos] = d

    @_nb.njit(cache=True, inline="always")
    def _kth_of(values, count, k, heap):
        """The ``k``-th smallest of ``values[:count]`` (``k ≤ count``) by a size-``k`` max-heap
        (``heap``, overwritten)."""
        for j in range(k):
            _heap_push(heap, j, values[j])
        top = heap[0]
        for j in range(k, count):
            d = values[j]
            if d < top:
                _heap_replace_top(heap, k, d)
                top = heap[0]
        return top

    @_nb.njit(cache=True)
    def _select_rows(D, k):
        b, n = D.shape
        counts = np.zeros(b, dtype=np.int64)
        thresh = np.empty(b, dtype=np.float64)
        for i in range(b):
            row = D[i]
            heap = np.empty(k, dtype=np.float64)  # max-heap of the k smallest values
            top = _kth_of(row, n, k, heap)
            thresh[i] = top
            c = 0
            for j in range(n):
                if row[j] <= top:
                    c += 1
            counts[i] = c
        return counts, thresh

    @_nb.njit(cache=True)
    def _fill_rows(D, thresh, offsets, cols, vals):
        b, n = D.shape
        for i in range(b):
            row = D[i]
            m = offsets[i + 1] - offsets[i]
            tmp_c = np.empty(m, dtype=np.int64)
            tmp_v = np.empty(m, dtype=np.float64)
            q = 0
            t = thresh[i]
            for j in range(n):
                if row[j] <= t:
                    tmp_c[q] = j
                    tmp_v[q] = row[j]
                    q += 1
            order = np.argsort(tmp_v, kind="mergesort")  # stable: ties keep index order
            base = offsets[i]
            for r in range(m):
                cols[base + r] = tmp_c[order[r]]
                vals[base + r] = tmp_v[order[r]]

    @_nb.njit(cache=True)
    def _select_rows_onepass(D, k, cap):
        """One pass per row: a size-k max-heap gives the threshold, and every value that was
        ``≤`` the heap top when read is kept as a candidate (the top only decreases, so this is
        a superset of the final ``≤ threshold`` set, ties included); candidates are filtered and
        sorted at the end of the row. Returns ok=False if the output capacity is exceeded."""
        b, n = D.shape
        counts = np.zeros(b, dtype=np.int64)
        cols = np.empty(cap, dtype=np.int64)
        vals = np.empty(cap, dtype=np.float64)
        heap = np.empty(k, dtype=np.float64)
        buf_c = np.empty(n, dtype=np.int64)
        buf_v = np.empty(n, dtype=np.float64)
        out = 0
        for i in range(b):
            row = D[i]
            m = 0
            for j in range(k):
                d = row[j]
                buf_c[m] = j
                buf_v[m] = d
                m += 1
                _heap_push(heap, j, d)
            top = heap[0]
            for j in range(k, n):
                d = row[j]
                if d <= top:
                    buf_c[m] = j
                    buf_v[m] = d
                    m += 1
                    if d < top:
                        _heap_replace_top(heap, k, d)
                        top = heap[0]
            q = 0
            for r in range(m):  # keep the final <= top set, in index order
                if buf_v[r] <= top:
                    buf_c[q] = buf_c[r]
                    buf_v[q] = buf_v[r]
                    q += 1
            if out + q > cap:
                return counts, cols, vals, False
            order = np.argsort(buf_v[:q], kind="mergesort")  # stable: ties keep index order
            for r in range(q):
                cols[out + r] = buf_c[order[r]]
                vals[out + r] = buf_v[order[r]]
            counts[i] = q
            out += q
        return counts, cols[:out], vals[:out], True

    @_nb.njit(cache=True)
    def _gram_to_sqdist(G, rn, cn, start):
        """In place: ``G[i, j] ← max((rn_i + cn_j) − 2 G[i, j], 0)``, ``+inf`` at ``j = start + i``;
        the same floats as the NumPy expression (``2·G`` is exact)."""
        b, n = G.shape
        for i in range(b):
            r = rn[i]
            for j in range(n):
                d = (r + cn[j]) - 2.0 * G[i, j]
                G[i, j] = d if d > 0.0 else 0.0
            G[i, start + i] = np.inf

    @_nb.njit(cache=True, inline="always")
    def _kth_by_chunk_minima(row, k, n_chunks, mins, buf, heap):
        """The ``k``-th smallest value of ``row`` (exactly, the same float a size-``k`` max-heap
        over the whole row gives), with few heap operations.

        The row is cut into ``n_chunks ≥ k + 1`` disjoint runs (the last takes the remainder).
        ``τ`` = the ``k``-th smallest run minimum bounds the answer from above: the ``k`` runs
        with the smallest minima hold ``k`` distinct values ``≤ τ``. The heap then only sees the
        values ``≤ τ`` (a few ``k`` on typical rows) instead of replacing its top
        ``≈ k ln(n/k)`` times with an unpredictable sift each."""
        n = row.shape[0]
        s = n // n_chunks
        for c in range(n_chunks):
            a = c * s
            e = a + s if c < n_chunks - 1 else n
            m = row[a]
            for j in range(a + 1, e):
                v = row[j]
                if v < m:
                    m = v
            mins[c] = m
        tau = _kth_of(mins, n_chunks, k, heap)
        cnt = 0
        for j in range(n):
            v = row[j]
            if v <= tau:
                buf[cnt] = v
                cnt += 1
        return _kth_of(buf, cnt, k, heap)

    @_nb.njit(cache=True, nogil=True)
    def _knn_block(G, rn, cn, start, k, tol, exact_id, cap, col_map, row_u, D):
        """Fused: Gram block → squared distances (in place, the same floats as
        :func:`_gram_to_sqdist`), the ``k``-th smallest value (:func:`_kth_by_chunk_minima`),
        every column ``≤`` it sorted by ``(value, column)``, their dense rank, and the near-tie flag of
        :func:`ricci_lit.geometry._exact.near_tie_rows`. Rows with more than ``cap`` candidates
        get ``ok = False`` (the caller falls back to the unfused kernels). No allocation per
        row (per-row buffers are rows of preallocated arrays).

        With a non-empty ``col_map`` (a cloud with duplicate points), ``G`` holds the Gram rows
        of the block's distinct points against the distinct points only; row ``i``'s distances
        are written to ``D[i]`` as ``value(row_u[i], col_map[j])``, exact 0 between copies of one
        point, as the NumPy path gathers them."""
        mapped = col_map.size > 0
        b = G.shape[0]
        n = D.shape[1] if mapped else G.shape[1]
        counts = np.zeros(b, dtype=np.int64)
        cols = np.empty((b, cap), dtype=np.int64)
        vals = np.empty((b, cap), dtype=np.float64)
        rank = np.empty((b, cap), dtype=np.int64)
        heaps = np.empty((b, k), dtype=np.float64)
        flag = np.zeros(b, dtype=np.bool_)
        ok = np.ones(b, dtype=np.bool_)
        n_chunks = min(n, 2 * k)  # ≥ k + 1 because 1 ≤ k < n
        mins = np.empty(n_chunks, dtype=np.float64)
        buf = np.empty(n, dtype=np.float64)
        for i in range(b):
            r = rn[i]
            if mapped:
                row = D[i]
                g = G[i]
                ri = row_u[i]
                for j in range(n):
                    cj = col_map[j]
                    if cj == ri:
                        row[j] = 0.0
                    else:
                        d = (r + cn[cj]) - 2.0 * g[cj]
                        row[j] = d if d > 0.0 else 0.0
            else:
                row = G[i]
                for j in range(n):
                    d = (r + cn[j]) - 2.0 * row[j]
                    row[j] = d if d > 0.0 else 0.0
            row[start + i] = np.inf
            top = _kth_by_chunk_minima(row, k, n_chunks, mins, buf, heaps[i])
            t_i = tol[i]
            lim = top + t_i
            bc = cols[i]
            bv = vals[i]
            q = 0
            m = 0
            for j in range(n):  # candidates in index order, kept sorted by value (stable)
                d = row[j]
                if d <= lim:
                    m += 1
                    if d <= top:
                        if q < cap:
                            p = q
                            while p > 0 and bv[p - 1] > d:
                                bv[p] = bv[p - 1]
                                bc[p] = bc[p - 1]
                                p -= 1
                            bv[p] = d
                            bc[p] = j
                        q += 1
            if q > cap:
                ok[i] = False
                continue
            counts[i] = q
            fl = m > q
            rk = rank[i]
            rk[0] = 0
            for p in range(1, q):
                v = bv[p]
                prev = bv[p - 1]
                rk[p] = rk[p - 1] + (1 if v != prev else 0)
                if v - prev <= t_i and exact_id[bc[p]] != exact_id[bc[p - 1]]:
                    fl = True
            flag[i] = fl
        return counts, cols, vals, rank, flag, ok


    @_nb.njit(cache=True)
    def _knn_line(x, order, pos, un, k, tol, bound_err, exact_id, cap):
        """Points on a line (``d = 1``): per point, a window of the sorted order that holds every
        column whose Gram-form value could be ``≤`` its ``k``-th plus ``tol`` (two-pointer for
        the ``k`` nearest by direct differences, widened by the rounding bound), then the same
        values, selection, rank and near-tie flag as :func:`_knn_block` on that window only."""
        n = x.size
        counts = np.zeros(n, dtype=np.int64)
        cols = np.empty(n * cap, dtype=np.int64)
        vals = np.empty(n * cap, dtype=np.float64)
        rank = np.empty(n * cap, dtype=np.int64)
        flag = np.zeros(n, dtype=np.bool_)
        out = 0
        for i in range(n):
            p = pos[i]
            xi = x[i]
            lo = p - 1
            hi = p + 1
            R = 0.0
            for _ in range(k):
                if lo < 0:
                    dd = x[order[hi]] - xi
                    hi += 1
                elif hi >= n:
                    dd = xi - x[order[lo]]
                    lo -= 1
                else:
                    dl = xi - x[order[lo]]
                    dr = x[order[hi]] - xi
                    if dl <= dr:
                        dd = dl
                        lo -= 1
                    else:
                        dd = dr
                        hi += 1
                if dd > R:
                    R = dd
            bound = R * R * (1.0 + 1e-9) + bound_err[i]
            while lo >= 0 and (xi - x[order[lo]]) * (xi - x[order[lo]]) <= bound:
                lo -= 1
            while hi < n and (x[order[hi]] - xi) * (x[order[hi]] - xi) <= bound:
                hi += 1
            w = np.sort(order[lo + 1:hi])  # the window's columns in index order
            v = np.empty(w.size, dtype=np.float64)
            r = un[i]
            for a in range(w.size):
                j = w[a]
                if j == i:
                    v[a] = np.inf
                elif x[j] == xi:
                    v[a] = 0.0
                else:
                    d = (r + un[j]) - 2.0 * (xi * x[j])
                    v[a] = d if d > 0.0 else 0.0
            q = _emit_row(w, v, k, tol[i], exact_id, cols, vals, rank, flag, i, out)
            if q < 0:
                return counts, cols, vals, rank, flag, False
            counts[i] = q
            out += q
        return counts, cols[:out], vals[:out], rank[:out], flag, True

    @_nb.njit(cache=True, inline="always")
    def _emit_row(w, v, k, t_i, exact_id, cols, vals, rank, flag, i, out):
        """Row ``i`` from its candidate columns ``w`` (index order) and their values ``v``: every
        candidate ``≤`` the ``k``-th smallest value, sorted by ``(value, column)``, written at
        ``out`` with its dense rank, and ``flag[i]`` set as :func:`_knn_block` sets it. Returns
        the count, or ``−1`` when the output buffer is full."""
        srt = np.argsort(v, kind="mergesort")  # stable: (value, column)
        return _emit_sorted(v[srt], w[srt], w.size, k, t_i, exact_id, cols, vals, rank, flag, i, out)

    @_nb.njit(cache=True, inline="always")
    def _emit_sorted(sv, sc, m_w, k, t_i, exact_id, cols, vals, rank, flag, i, out):
        """:func:`_emit_row` for candidates already sorted by ``(value, column)``
        (``sv[:m_w]``, ``sc[:m_w]``)."""
        top = sv[k - 1]
        lim = top + t_i
        q = 0
        m = 0
        for a in range(m_w):
            if sv[a] <= lim:
                m += 1
                if sv[a] <= top:
                    q += 1
        if out + q > cols.size:
            return -1
        fl = m > q
        for b in range(q):
            c = sc[b]
            val = sv[b]
            cols[out + b] = c
            vals[out + b] = val
            if b == 0:
                rank[out] = 0
            else:
                prev = vals[out + b - 1]
                rank[out + b] = rank[out + b - 1] + (1 if val != prev else 0)
                if val - prev <= t_i and exact_id[c] != exact_id[cols[out + b - 1]]:
                    fl = True
        flag[i] = fl
        return q

    @_nb.njit(cache=True, nogil=True)
    def _knn_candidates(P, un, cand, k, tol, exact_id, cap):
        """Rows from a superset of their candidates (``cand[i]``: distinct columns, possibly with
        ``i`` itself): the Gram-form values ``(‖u_i‖² + ‖u_j‖²) − 2 u_i·u_j`` of those columns
        only, sorted by ``(value, column)`` by insertion (a tree returns them nearly in that
        order), then :func:`_emit_sorted`. ``P`` are the translated, scaled points."""
        n, kq = cand.shape
        d = P.shape[1]
        counts = np.zeros(n, dtype=np.int64)
        cols = np.empty(n * cap, dtype=np.int64)
        vals = np.empty(n * cap, dtype=np.float64)
        rank = np.empty(n * cap, dtype=np.int64)
        flag = np.zeros(n, dtype=np.bool_)
        out = 0
        sv = np.empty(kq, dtype=np.float64)
        sc = np.empty(kq, dtype=np.int64)
        for i in range(n):
            m_w = 0
            r = un[i]
            for a in range(kq):
                j = cand[i, a]
                if j == i:
                    continue
                dot = 0.0
                for c in range(d):
                    dot += P[i, c] * P[j, c]
                dd = (r + un[j]) - 2.0 * dot
                val = dd if dd > 0.0 else 0.0
                p = m_w
                while p > 0 and (sv[p - 1] > val or (sv[p - 1] == val and sc[p - 1] > j)):
                    sv[p] = sv[p - 1]
                    sc[p] = sc[p - 1]
                    p -= 1
                sv[p] = val
                sc[p] = j
                m_w += 1
            q = _emit_sorted(sv, sc, m_w, k, tol[i], exact_id, cols, vals, rank, flag, i, out)
            if q < 0:
                return counts, cols, vals, rank, flag, False
            counts[i] = q
            out += q
        return counts, cols[:out], vals[:out], rank[:out], flag, True


if HAVE_NUMBA:
    @_nb.njit(cache=True)
    def _symmetric_csr(n, src, dst):
        """CSR of the simple undirected graph with an edge for every ``(src[e], dst[e])``,
        ``src`` non-decreasing, no self loops: counting sort of the reversed arcs, then each row
        merged, deduplicated with a stamp array and sorted by insertion (rows are short)."""
        m = src.size
        # out-arcs are grouped by row already; in-arcs by a counting sort on dst
        in_ptr = np.zeros(n + 1, dtype=np.int64)
        for e in range(m):
            in_ptr[dst[e] + 1] += 1
        for v in range(n):
            in_ptr[v + 1] += in_ptr[v]
        fill = in_ptr[:-1].copy()
        in_src = np.empty(m, dtype=np.int64)
        for e in range(m):
            d = dst[e]
            in_src[fill[d]] = src[e]
            fill[d] += 1
        out_ptr = np.zeros(n + 1, dtype=np.int64)
        for e in range(m):
            out_ptr[src[e] + 1] += 1
        for v in range(n):
            out_ptr[v + 1] += out_ptr[v]
        stamp = np.full(n, -1, dtype=np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
        indices = np.empty(2 * m, dtype=np.int64)
        pos = 0
        for v in range(n):
            start = pos
            for e in range(out_ptr[v], out_ptr[v + 1]):
                j = dst[e]
                if stamp[j] != v:
                    stamp[j] = v
                    indices[pos] = j
                    pos += 1
            for e in range(in_ptr[v], in_ptr[v + 1]):
                j = in_src[e]
                if stamp[j] != v:
                    stamp[j] = v
                    indices[pos] = j
                    pos += 1
            for a in range(start + 1, pos):  # insertion sort of the row
                x = indices[a]
                b = a
                while b > start and indices[b - 1] > x:
                    indices[b] = indices[b - 1]
                    b -= 1
                indices[b] = x
            indptr[v + 1] = pos
        return indptr, indices[:pos].copy()


def symmetric_csr(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr, indices)`` of the simple undirected graph ``A ∨ Aᵀ`` of the arcs
    ``src[e] → dst[e]`` (``src`` non-decreasing, ``src ≠ dst``), rows sorted: the same arrays as
    ``np.unique`` of the keys ``i·n + j`` of both directions, in ``O(|E|)`` plus short row sorts."""
    return _symmetric_csr(int(n), np.ascontiguousarray(src, dtype=np.int64),
                          np.ascontiguousarray(dst, dtype=np.int64))


#: Above this many 64-source words per block the BFS keeps per-vertex lists of non-empty
#: frontier words (``_bfs_block_sparse``); at or below it, the plain word loop is faster.
SPARSE_BFS_WORDS = 24


def uses_word_lists(s0: int, s1: int) -> bool:
    """Whether :func:`bfs_block` searches the sources ``s0 … s1−1`` with the word-list kernel
    (more than :data:`SPARSE_BFS_WORDS` words of 64 sources)."""
    return (int(s1) - int(s0) + 63) // 64 > SPARSE_BFS_WORDS


def bfs_block(indptr: np.ndarray, indices: np.ndarray, n: int, s0: int, s1: int,
              dist: np.ndarray | None = None) -> tuple[int, int, int]:
    """BFS from sources ``s0 … s1−1`` at once; returns ``(Σ distances, reached pairs, max level)``.

    When ``dist`` (``int32 [n, n]``) is given, ``dist[v, s] = γ(v, s)`` is written for every
    reached pair.
    """
    write = dist is not None
    if dist is None:
        dist = np.zeros((1, 1), dtype=np.int32)
    kernel = _bfs_block_sparse if uses_word_lists(s0, s1) else _bfs_block_dense
    total, reached, diameter = kernel(indptr.astype(np.int64), indices.astype(np.int64),
                                      int(n), int(s0), int(s1), dist, write)
    return int(total), int(reached), int(diameter)


def select_rows(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``D``: every column whose value is ``≤`` the row's ``k``-th smallest
    (found with a size-``k`` max-heap), sorted by ``(value, column)``. Returns
    ``(counts, cols, vals)`` in CSR order."""
    D = np.ascontiguousarray(D, dtype=np.float64)
    counts, cols, vals, ok = _select_rows_onepass(D, int(k), D.shape[0] * (int(k) + 16))
    if ok:
        return counts, cols, vals
    # many ties (e.g. a collapsed layer): the two-pass kernel sizes its output exactly
    counts, thresh = _select_rows(D, int(k))
    offsets = np.zeros(D.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    cols = np.empty(offsets[-1], dtype=np.int64)
    vals = np.empty(offsets[-1], dtype=np.float64)
    _fill_rows(D, thresh, offsets, cols, vals)
    return counts, cols, vals



def knn_block(gram: np.ndarray | None, row_norms: np.ndarray, col_norms: np.ndarray, start: int, k: int,
              tol: np.ndarray, exact_id: np.ndarray, operands: tuple[np.ndarray, np.ndarray] | None = None,
              col_map: np.ndarray | None = None, row_u: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """One block of the kNN search in one compiled, row-parallel pass (both cores).

    Turns ``gram`` (``x_{start+i}·x_j``, C-contiguous float64) into squared distances in place
    (as :func:`gram_to_sqdist`), and returns ``(counts, cols, vals, rank, flag)``: per row every
    column with a value ``≤`` its ``k``-th smallest, sorted by ``(value, column)``, in CSR order,
    the dense rank of each value in its row, and the rows with a near tie (two candidates of
    different exact points within ``tol`` of each other, or a value outside within ``tol`` of the
    ``k``-th), exactly as :func:`select_rows` and
    :func:`ricci_lit.geometry._exact.near_tie_rows` give them. ``None`` when a row has too many
    tied candidates for the fixed per-row buffer; the caller then selects with
    :func:`select_rows` from a distance block it forms itself.

    With ``gram=None`` and ``operands=(L, R)`` each thread forms its own rows of the Gram block
    ``L @ Rᵀ`` right before selecting them: the product runs in the threads too, with BLAS held
    to one thread (:func:`single_threaded_blas`) so that its idle workers do not spin on the
    cores the selection needs. A sixth element is then returned: the squared distances the
    selection saw (``[b, n]``) when a row is flagged, else ``None``.

    A cloud with duplicate points passes the distinct points as ``R``, the block's rows' distinct
    points as ``L``, ``col_map`` (each point's distinct point) and ``row_u`` (the same for the
    block's rows): the distances are gathered inside the kernel, with the floats and exact zeros
    of the NumPy path (:func:`ricci_lit.geometry.knn.neighbour_table`).
    """
    if gram is None:
        if operands is None:
            raise ValueError("knn_block needs gram or operands")
        left, right = operands
        b = left.shape[0]
    else:
        if not (gram.flags.c_contiguous and gram.dtype == np.float64):
            raise ValueError("gram must be a C-contiguous float64 array")
        b = gram.shape[0]
    cap = int(k) + 16
    rn = np.ascontiguousarray(row_norms, dtype=np.float64)
    cn = np.ascontiguousarray(col_norms, dtype=np.float64)
    tol = np.ascontiguousarray(tol, dtype=np.float64)
    exact_id = np.ascontiguousarray(exact_id, dtype=np.int64)
    n_parts = max(1, min(kernel_threads(), b // 64))
    cuts = [b * p // n_parts for p in range(n_parts + 1)]

    blocks: list[np.ndarray | None] = [None] * n_parts

    mapped = col_map is not None
    cmap = np.ascontiguousarray(col_map, dtype=np.int64) if mapped else np.zeros(0, dtype=np.int64)
    rmap = np.ascontiguousarray(row_u, dtype=np.int64) if mapped else np.zeros(0, dtype=np.int64)

    def part(p: int):
        a, e = cuts[p], cuts[p + 1]
        g = gram[a:e] if gram is not None else np.ascontiguousarray(left[a:e] @ right.T)
        D = np.empty((e - a, cmap.size)) if mapped else np.zeros((0, 0))
        blocks[p] = D if mapped else g
        return _knn_block(g, rn[a:e], cn, int(start) + a, int(k), tol[a:e], exact_id, cap,
                          cmap, rmap[a:e] if mapped else rmap, D)

    if n_parts == 1:
        parts = [part(0)]
    else:  # the kernel releases the GIL: one thread per contiguous slice of rows
        with single_threaded_blas(), ThreadPoolExecutor(max_workers=n_parts) as pool:
            parts = list(pool.map(part, range(n_parts)))
    counts, cols, vals, rank, flag, ok = (np.concatenate([q[i] for q in parts]) for i in range(6))
    if not ok.all():
        return None
    keep = np.arange(cap)[None, :] < counts[:, None]
    out = (counts, cols[keep], vals[keep], rank[keep], flag)
    if gram is not None:
        return out
    # the distances the selection saw, for the exact re-selection of flagged rows
    return out + ((np.vstack(blocks) if n_parts > 1 else blocks[0]) if flag.any() else None,)


@functools.lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return None
    return ThreadpoolController()


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """A context in which BLAS uses one thread (``threadpoolctl``): for code that runs its own
    threads, since OpenBLAS's idle workers spin and slow them down on a 2-core machine. Results
    do not depend on it."""
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def knn_line(x: np.ndarray, sqnorms: np.ndarray, k: int, tol: np.ndarray, err: np.ndarray,
             exact_id: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The kNN search of points on a line in ``O(n log n + n w)`` (``w`` ≈ window size).

    ``x`` are the translated, scaled coordinates (``[n]``), ``sqnorms`` their computed squares,
    ``tol = 2 err`` the near-tie tolerance and ``err`` the Gram-form error bound per point.
    Returns what :func:`knn_block` returns for the whole cloud (the same values: on a line the
    Gram element is the single rounded product ``x_i x_j``), or ``None`` if the output buffer
    of ``n (k + 16)`` entries is exceeded (many ties). Every column outside a point's window has
    a Gram-form value above its ``k``-th value plus ``tol``: the window holds all ``j`` with
    ``(x_j − x_i)² ≤ R² (1 + 10⁻⁹) + 5 err_i``, ``R`` the direct ``k``-th distance.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable").astype(np.int64)
    pos = np.empty_like(order)
    pos[order] = np.arange(x.size)
    counts, cols, vals, rank, flag, ok = _knn_line(
        x, order, pos, np.ascontiguousarray(sqnorms, dtype=np.float64), int(k),
        np.ascontiguousarray(tol, dtype=np.float64),
        5.0 * np.ascontiguousarray(err, dtype=np.float64) + 2.0 ** -1000,
        np.ascontiguousarray(exact_id, dtype=np.int64), int(k) + 16)
    if not ok:
        return None
    return counts, cols, vals, rank, flag


def knn_candidates(points: np.ndarray, sqnorms: np.ndarray, cand: np.ndarray, k: int, tol: np.ndarray,
                   exact_id: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The kNN rows of every point from a superset of its candidates (a tree's query, see
    :func:`ricci_lit.geometry.knn.neighbour_table`): the Gram-form values of the candidate
    columns only, selected, ranked and flagged as :func:`knn_block` does.

    ``points`` are the translated, scaled coordinates ``[n, d]`` (no two equal), ``sqnorms``
    their computed squared norms, ``cand`` ``int64 [n, m]`` the candidate columns of each row
    (``i`` itself is skipped), which must hold every column whose Gram-form value could be
    ``≤`` the row's ``k``-th value plus ``tol``. The values may differ from the blocked search's
    in the last bits (BLAS sums the Gram product its own way) but never where it decides: a
    row is flagged whenever rounding could order two candidates or the boundary, and flagged
    rows are re-selected exactly. ``None`` if the output buffer overflows (many ties).
    """
    P = np.ascontiguousarray(points, dtype=np.float64)
    counts, cols, vals, rank, flag, ok = _knn_candidates(
        P, np.ascontiguousarray(sqnorms, dtype=np.float64), np.ascontiguousarray(cand, dtype=np.int64),
        int(k), np.ascontiguousarray(tol, dtype=np.float64), np.ascontiguousarray(exact_id, dtype=np.int64),
        int(k) + 16)
    if not ok:
        return None
    return counts, cols, vals, rank, flag


def gram_to_sqdist(gram: np.ndarray, row_norms: np.ndarray, col_norms: np.ndarray, start: int) -> np.ndarray:
    """Turn a Gram block ``x_{start+i}·x_j`` into squared distances in place (one pass), with
    ``+inf`` on the block's own points; returns the same array."""
    if not (gram.flags.c_contiguous and gram.dtype == np.float64):
        raise ValueError("gram must be a C-contiguous float64 array")
    _gram_to_sqdist(gram, np.ascontiguousarray(row_norms, dtype=np.float64),
                    np.ascontiguousarray(col_norms, dtype=np.float64), int(start))
    return gram
