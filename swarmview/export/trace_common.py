"""What the trace exports share: the run's time origin and end, span ends, and thread lanes.

Unfinished spans (no ``end_unix_nanos``) end at the run's last timestamp, and say so, in every
format. Lanes give each span a thread in which spans nest strictly (a child inside its parent,
siblings one after another), which Perfetto needs to draw a flame chart per thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swarmview.core.bundle import Bundle


@dataclass(frozen=True)
class TraceClock:
    """First and last timestamp of the run (ns since the epoch) over spans, events and metrics."""

    origin: int
    last: int


def trace_clock(bundle: Bundle) -> TraceClock:
    stamps: list[int] = []
    spans, events, metrics = bundle.spans, bundle.events, bundle.metrics
    if len(spans):
        stamps += [int(spans.start.min()), int(spans.start.max())]
        if spans.has_end.any():
            stamps.append(int(spans.end[spans.has_end].max()))
    for table in (events, metrics):
        if len(table):
            stamps += [int(table.ts.min()), int(table.ts.max())]
    if not stamps:
        return TraceClock(0, 0)
    return TraceClock(min(stamps), max(stamps))


def span_ends(bundle: Bundle, clock: TraceClock) -> np.ndarray:
    """Each span's end; unfinished spans (and ends before their start) end at the run's last timestamp."""
    spans = bundle.spans
    ends = np.where(spans.has_end, spans.end, np.uint64(clock.last)).astype(np.uint64)
    return np.maximum(ends, spans.start)


def assign_lanes(starts: np.ndarray, ends: np.ndarray, parents: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A lane per span so that spans within one lane nest strictly; children prefer their parent's lane.

    ``starts``/``ends``/``parents``/``ids`` are the spans of one trace. Greedy interval partitioning
    with a stack per lane: O(n · lanes), and lanes stay few because siblings run one after another.
    """
    n = len(starts)
    lanes = np.zeros(n, dtype=np.int32)
    order = np.lexsort((-ends.astype(np.float64), starts))  # by start, longer first on ties
    stacks: list[list[int]] = []  # per lane: end times of the open spans
    lane_of_id: dict[int, int] = {}
    for i in order.tolist():
        s, e = int(starts[i]), int(ends[i])
        preferred = lane_of_id.get(int(parents[i]))
        candidates = ([preferred] if preferred is not None else []) + list(range(len(stacks)))
        chosen = -1
        for lane in candidates:
            stack = stacks[lane]
            while stack and stack[-1] <= s:
                stack.pop()
            if not stack or stack[-1] >= e:
                chosen = lane
                break
        if chosen < 0:
            stacks.append([])
            chosen = len(stacks) - 1
        stacks[chosen].append(e)
        lanes[i] = chosen
        lane_of_id[int(ids[i])] = chosen
    return lanes
