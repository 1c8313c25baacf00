"""Who can talk to whom: ``connected`` and ``redundancy`` between governments.

Nodes are the governments and the actors. Edges are open channels (cuttable, one unit each) and
usable access links (an actor whose access is at least ``min_access`` reaches its own
government; these cannot be cut). Access links are contracted first: every actor with usable
access becomes its government's node. Then, each step:

- ``connected(A, B)`` = 1 when the two government nodes are in one connected component of the
  open-channel graph (scipy.sparse.csgraph.connected_components);
- ``redundancy(A, B)`` = the minimum number of open channels whose closure disconnects them,
  which by Menger's theorem equals the maximum flow with unit capacity per channel
  (scipy.sparse.csgraph.maximum_flow); 0 when not connected.

A channel carried by a third party (``via``) is one edge between its two state endpoints: closing
it, or losing the third party, cuts it as one channel.

When more dyads are connected than there are governments in their components (less one), the
minimum cuts of all pairs come from one flow-equivalent tree over those governments (Gusfield
1990, "Very simple methods for all pairs network flow analysis", SIAM J. Comput. 19(1);
Gomory & Hu 1961): k - 1 maximum flows for k governments instead of one per dyad, and the
minimum cut between two governments is the smallest edge on their path in the tree. Exact.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from diplosim.scenario.compile import Compiled

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


class Connectivity:
    """Computes connected/redundancy for the tracked dyads from channel levels.

    With ``reps`` > 1 the channel levels are those of a batch of replications laid side by side
    (:mod:`~diplosim.engine.batch`): each
    replication is its own graph, and a step recomputes only the
    replications whose set of open channels changed. With ``redundancy`` False only
    ``connected`` is computed (redundancy stays 0): what a caller that reads no redundancy needs,
    without the maximum flows."""

    def __init__(self, c: Compiled, min_access: float, reps: int = 1,
                 redundancy: bool = True) -> None:
        self.flows = redundancy
        n_states = len(c.state_ids)
        n_actors = len(c.actor_ids)
        block_nodes = n_states + n_actors
        actor_node = n_states + np.arange(n_actors)
        usable = (c.actor_state >= 0) & (c.actor_access >= min_access)
        actor_node = np.where(usable, c.actor_state, actor_node)
        node_offset = (np.arange(reps, dtype=np.int64) * block_nodes)[:, None]
        self.reps = reps
        self.block_channels = c.n_channels
        self.n_nodes = block_nodes * reps
        self.u = (actor_node[c.channel_a][None, :] + node_offset).ravel()
        self.v = (actor_node[c.channel_b][None, :] + node_offset).ravel()
        self.tracked = c.tracked_dyads
        self.gov_a = (c.dyad_a[self.tracked][None, :] + node_offset).ravel()
        self.gov_b = (c.dyad_b[self.tracked][None, :] + node_offset).ravel()
        self.pair_block = np.repeat(np.arange(reps), self.tracked.size)
        # Channels open and close rarely: reuse the last answer while the open set is unchanged.
        self._last_open: NDArray[np.bool_] | None = None
        self._connected = np.zeros(self.gov_a.size, dtype=np.int8)
        self._redundancy = np.zeros(self.gov_a.size, dtype=np.int64)

    def compute(self, level: IntArray) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
        """Return (connected, redundancy) for the tracked dyads (of every replication)."""
        is_open = level > 0
        if self._last_open is None:
            changed = np.ones(self.reps, dtype=bool)
        else:
            diff = is_open != self._last_open
            if not diff.any():
                return self._connected.copy(), self._redundancy.copy()
            changed = diff.reshape(self.reps, self.block_channels).any(axis=1)
        self._last_open = is_open
        active = is_open & np.repeat(changed, self.block_channels)
        pairs = np.flatnonzero(changed[self.pair_block])
        if not self.flows:  # connected alone: components by label propagation, no sparse graph
            labels = components(self.n_nodes, self.u[active], self.v[active])
            self._connected[pairs] = labels[self.gov_a[pairs]] == labels[self.gov_b[pairs]]
            return self._connected.copy(), self._redundancy.copy()
        connected, redundancy = self._solve(self.u[active], self.v[active],
                                            self.gov_a[pairs], self.gov_b[pairs],
                                            pairs % max(self.tracked.size, 1))
        self._connected[pairs] = connected
        self._redundancy[pairs] = redundancy
        return self._connected.copy(), self._redundancy.copy()

    def _solve(self, u: IntArray, v: IntArray, gov_a: IntArray, gov_b: IntArray,
               slot: IntArray) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
        """connected and redundancy of the pairs (gov_a, gov_b) in the graph of edges (u, v);
        ``slot`` is each pair's tracked dyad (pairs of one slot lie in different replications).
        """
        n = self.n_nodes
        ones = np.ones(u.size, dtype=np.int32)
        graph = coo_matrix(
            (np.concatenate([ones, ones]), (np.concatenate([u, v]), np.concatenate([v, u]))),
            shape=(n, n),
        ).tocsr()  # duplicates (parallel channels) are summed: capacity = multiplicity
        _, labels = connected_components(graph, directed=False)
        connected = (labels[gov_a] == labels[gov_b]).astype(np.int8)
        redundancy = np.zeros(gov_a.size, dtype=np.int64)
        if connected.any() and self.flows:
            index = np.arange(n)
            if np.count_nonzero(connected) > 1 and self.reps == 1:
                # A flow between two governments stays inside their component: keep only the
                # components of connected tracked dyads (exact; each maximum_flow call costs a
                # pass over the whole graph it is given, so this pays when there are several).
                # Not in a batch: there one flow serves every replication (_disjoint_flows),
                # nearly every replication's component holds a tracked dyad, and the sparse
                # indexing cost more than it saved (flagship batches ~8%).
                keep = np.isin(labels, labels[gov_a[connected == 1]])
                index = np.cumsum(keep) - 1
                graph = graph[keep][:, keep]
            flow_graph = csr_matrix(graph, dtype=np.int32)
            flow_graph.sum_duplicates()
            pairs = np.flatnonzero(connected)
            a, b = index[gov_a[pairs]], index[gov_b[pairs]]
            terminals = np.unique(np.concatenate([a, b]))
            if self.reps > 1:
                # one tracked dyad of every replication at once: the replications' graphs are
                # disjoint, so a super-source feeding each gov_a and a super-sink fed by each
                # gov_b carry the sum of their maximum flows, each on its own edge (exact)
                for j in np.unique(slot[pairs]):
                    group = pairs[slot[pairs] == j]
                    redundancy[group] = _disjoint_flows(flow_graph, index[gov_a[group]],
                                                        index[gov_b[group]])
            elif pairs.size > terminals.size - 1:
                cut = all_pairs_min_cut(flow_graph, terminals)  # terminals: sorted, unique
                redundancy[pairs] = cut[np.searchsorted(terminals, a),
                                        np.searchsorted(terminals, b)]
            else:
                for i, s_, t_ in zip(pairs, a, b, strict=True):
                    redundancy[i] = maximum_flow(flow_graph, int(s_), int(t_)).flow_value
        return connected, redundancy


def components(n: int, u: IntArray, v: IntArray) -> IntArray:
    """A label per node of the undirected graph with edges (u, v): two nodes have the same
    label exactly when they are connected (the smallest node of their component). Label
    propagation with pointer jumping: each pass gives both ends of an edge the smaller of their
    labels, then each node its label's label; it stops when a pass changes nothing."""
    labels = np.arange(n, dtype=np.int64)
    if not u.size:
        return labels
    while True:
        low = np.minimum(labels[u], labels[v])
        new = labels.copy()
        np.minimum.at(new, u, low)
        np.minimum.at(new, v, low)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def _disjoint_flows(graph: csr_matrix, sources: IntArray, sinks: IntArray) -> IntArray:
    """Maximum flow from each source to its sink, the pairs lying in disjoint parts of
    ``graph``: one flow from a super-source to a super-sink."""
    n = graph.shape[0]
    big = int(graph.sum()) + 1  # more than any cut
    k = sources.size
    coo = graph.tocoo()
    rows = np.concatenate([coo.row, np.full(k, n), sinks])
    cols = np.concatenate([coo.col, sources, np.full(k, n + 1)])
    caps = np.concatenate([coo.data, np.full(2 * k, big)]).astype(np.int32)
    augmented = csr_matrix((caps, (rows, cols)), shape=(n + 2, n + 2))
    flow = maximum_flow(augmented, n, n + 1).flow
    return np.asarray(flow[n, sources].toarray()).ravel().astype(np.int64)


DENSE_NODES = 2000  # graphs up to this many nodes: residual reachability on dense arrays


def _source_side(graph: csr_matrix, dense: FloatArray | None, flow: csr_matrix,
                 source: int) -> NDArray[np.bool_]:
    """Nodes reachable from ``source`` in the residual graph of a maximum flow: the source side
    of a minimum cut."""
    if dense is not None:
        open_ = (dense - flow.toarray()) > 0
        side = np.zeros(dense.shape[0], dtype=bool)
        side[source] = True
        frontier = side.copy()
        while frontier.any():
            frontier = open_[frontier].any(axis=0) & ~side
            side |= frontier
        return side
    residual = (graph - flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    side = np.zeros(graph.shape[0], dtype=bool)
    side[breadth_first_order(residual, source, directed=True, return_predecessors=False)] = True
    return side


# The three-edge terms of short_path_flow cost nodes² per source: only on graphs of at most
# THREE_HOP_NODES nodes (the governments' graph of a large scenario has one per state), with
# at most THREE_HOP_CELLS terms held at once.
THREE_HOP_NODES = 300
THREE_HOP_CELLS = 1_000_000


def short_path_flow(dense: FloatArray, sources: IntArray, b: int) -> FloatArray:
    """A lower bound on the maximum flow from each of ``sources`` to ``b`` in the undirected
    capacity matrix ``dense`` (zero diagonal), from a feasible flow on paths of one to three
    edges.

    For a source a: the direct edges c(a, b); through each other node w, min(c(a, w), c(w, b))
    paths a–w–b; then what is left of a's edges, r_a(w) = c(a, w) − min(c(a, w), c(w, b)), and
    of b's, r_b(w) = c(w, b) − min(…), joined by the edges between other nodes: the flow
    f(w1, w2) = min(c(w1, w2), r_a(w1) r_b(w2) / max(Σ r_a, Σ r_b)) sends at most r_a(w1) out
    of each w1 and at most r_b(w2) into each w2, so it is feasible. All these paths use
    disjoint capacity (no edge is crossed both ways: r_a and r_b are never both positive at one
    node), so their sum is at most the maximum flow. Three-edge paths are left out on graphs of
    more than ``THREE_HOP_NODES`` nodes.
    """
    c = np.asarray(dense, dtype=np.float64)  # no copy when given floats
    n = c.shape[0]
    cb = c[b]
    out = np.empty(sources.size)
    step = max(1, THREE_HOP_CELLS // (n * n))
    for lo in range(0, sources.size, step):
        a = sources[lo:lo + step]
        ca = c[a]
        other = np.ones(ca.shape, dtype=bool)
        other[:, b] = False
        other[np.arange(a.size), a] = False
        both = np.where(other, np.minimum(ca, cb), 0.0)
        flow = c[a, b] + both.sum(axis=1)
        if n <= THREE_HOP_NODES:
            r_a = np.where(other, ca - both, 0.0)
            r_b = np.where(other, cb - both, 0.0)
            scale = np.maximum(r_a.sum(axis=1), r_b.sum(axis=1))
            scale[scale == 0] = 1.0
            share = r_a[:, :, None] * r_b[:, None, :] / scale[:, None, None]
            flow += np.minimum(c[None, :, :], share).sum(axis=(1, 2))
        out[lo:lo + step] = flow
    return out


def _trivial_cut(dense: FloatArray, degree: FloatArray, a: int,
                 b: int) -> tuple[int, NDArray[np.bool_]] | None:
    """The minimum cut between ``a`` and ``b`` and its side holding ``a``, when one of them
    alone is a minimum cut and short paths prove it; else None.

    Every cut separating a from b is at most min(deg a, deg b) (cut a or b off alone) and at
    least any feasible flow, such as :func:`short_path_flow`'s. The maximum flow is an integer,
    so a feasible flow above min(deg a, deg b) − 1/2 proves it equal to min(deg a, deg b) (the
    half keeps the proof clear of rounding): the cut is exact, with {a} (or everything but b)
    as its side. In the dense, many-channel graphs of large scenarios this is the common case.
    """
    bound = int(min(degree[a], degree[b]))
    if short_path_flow(dense, np.array([a]), b)[0] <= bound - 0.5:
        return None
    side = np.zeros(dense.shape[0], dtype=bool)
    if degree[a] == bound:
        side[a] = True
    else:
        side[:] = True
        side[b] = False
    return bound, side


def all_pairs_min_cut(graph: csr_matrix, terminals: IntArray) -> NDArray[np.int64]:
    """Minimum cut values between all pairs of ``terminals`` of an undirected capacity graph
    (symmetric CSR, integer capacities): Gusfield's flow-equivalent tree, built with at most
    len(terminals) - 1 maximum flows (fewer where :func:`_trivial_cut` certifies a cut). Entry
    [i, j] is the cut between terminals i and j."""
    k = terminals.size
    ranked, order = terminals, np.arange(k)
    certified = np.zeros(k, dtype=bool)
    dense = None
    if graph.shape[0] <= DENSE_NODES:
        dense = graph.toarray().astype(np.float64)  # capacities are small integers: exact
        np.fill_diagonal(dense, 0)  # a loop crosses no cut
        degree = dense.sum(axis=1)
        # Gusfield's order of terminals is free: the largest degree first, as the tree's root.
        # A terminal whose own degree is proved to be its cut from the root (short paths, as
        # _trivial_cut, for all at once) is cut off alone: it keeps the root as parent and
        # moves no other terminal — no flow and no update.
        order = np.argsort(-degree[terminals], kind="stable")
        ranked = terminals[order]
        certified = short_path_flow(dense, ranked, int(ranked[0])) > degree[ranked] - 0.5
        certified[0] = False  # the root itself
    parent = np.zeros(k, dtype=np.int64)
    weight = np.zeros(k, dtype=np.int64)
    for s in range(1, k):
        t = int(parent[s])
        a, b = int(ranked[s]), int(ranked[t])
        if t == 0 and certified[s]:
            weight[s] = degree[a]
            continue
        # against the root the short paths were tried above; against another parent, try them
        trivial = (_trivial_cut(dense, degree, a, b) if dense is not None and t != 0
                   else None)
        if trivial is not None:
            weight[s], side = trivial  # certified without a flow
        else:
            result = maximum_flow(graph, a, b)
            weight[s] = result.flow_value
            side = _source_side(graph, dense, result.flow, a)
        later = np.arange(s + 1, k)
        move = later[side[ranked[later]] & (parent[later] == t)]
        parent[move] = s
    # Every tree parent comes earlier (parent[i] < i): the minimum edge on the path from i to
    # any earlier j is min(weight[i], that from parent[i] to j).
    big = np.iinfo(np.int64).max
    cut = np.full((k, k), big, dtype=np.int64)
    for i in range(1, k):
        p = int(parent[i])
        cut[i, :i] = np.minimum(weight[i], cut[p, :i])
        cut[i, p] = weight[i]
        cut[:i, i] = cut[i, :i]
    out = np.empty_like(cut)
    out[np.ix_(order, order)] = cut  # back to the order of ``terminals``
    return out
