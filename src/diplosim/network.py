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
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, maximum_flow

from diplosim.scenario.compile import Compiled

IntArray = NDArray[np.int64]


class Connectivity:
    """Computes connected/redundancy for the tracked dyads from channel levels."""

    def __init__(self, c: Compiled, min_access: float) -> None:
        n_states = len(c.state_ids)
        n_actors = len(c.actor_ids)
        self.n_nodes = n_states + n_actors
        actor_node = n_states + np.arange(n_actors)
        usable = (c.actor_state >= 0) & (c.actor_access >= min_access)
        actor_node = np.where(usable, c.actor_state, actor_node)
        self.u = actor_node[c.channel_a]
        self.v = actor_node[c.channel_b]
        self.tracked = c.tracked_dyads
        self.gov_a = c.dyad_a[self.tracked]
        self.gov_b = c.dyad_b[self.tracked]
        # Channels open and close rarely: reuse the last answer while the open set is unchanged.
        self._last_open: NDArray[np.bool_] | None = None
        self._last: tuple[NDArray[np.int8], NDArray[np.int64]] | None = None

    def compute(self, level: IntArray) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
        """Return (connected, redundancy) for the tracked dyads."""
        is_open = level > 0
        if (self._last is not None and self._last_open is not None
                and np.array_equal(is_open, self._last_open)):
            return self._last[0].copy(), self._last[1].copy()
        u, v = self.u[is_open], self.v[is_open]
        n = self.n_nodes
        ones = np.ones(u.size, dtype=np.int32)
        graph = coo_matrix(
            (np.concatenate([ones, ones]), (np.concatenate([u, v]), np.concatenate([v, u]))),
            shape=(n, n),
        ).tocsr()  # duplicates (parallel channels) are summed: capacity = multiplicity
        _, labels = connected_components(graph, directed=False)
        connected = (labels[self.gov_a] == labels[self.gov_b]).astype(np.int8)
        redundancy = np.zeros(self.tracked.size, dtype=np.int64)
        if connected.any():
            index = np.arange(n)
            if np.count_nonzero(connected) > 1:
                # A flow between two governments stays inside their component: keep only the
                # components of connected tracked dyads (exact; each maximum_flow call costs a
                # pass over the whole graph it is given, so this pays when there are several).
                keep = np.isin(labels, labels[self.gov_a[connected == 1]])
                index = np.cumsum(keep) - 1
                graph = graph[keep][:, keep]
            flow_graph = csr_matrix(graph, dtype=np.int32)
            flow_graph.sum_duplicates()
            for i in np.flatnonzero(connected):
                redundancy[i] = maximum_flow(
                    flow_graph, int(index[self.gov_a[i]]), int(index[self.gov_b[i]])
                ).flow_value
        self._last_open, self._last = is_open, (connected.copy(), redundancy.copy())
        return connected, redundancy
