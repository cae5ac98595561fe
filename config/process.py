"""Tuning of a serving process once the app is loaded (gunicorn's ``post_worker_init``;
``manage.py bench --gc-freeze`` applies the same, to measure what production runs).

A loaded Django app holds a few hundred thousand long-lived objects (modules, URL
patterns, serializers, the OpenAPI schema), and every full (generation 2) collection
walks all of them: 60–90 ms pauses every ~15 search requests were measured
(docs/performance.md). ``gc.freeze()`` moves them to a permanent generation the
collector skips. A request then allocates tens of thousands of short-lived objects
(model instances, dicts of a page); with CPython's default threshold of 700 the
youngest generation is collected dozens of times per request, so it is raised:
10–15 % less CPU per search page, measured (docs/performance.md, "Per-request Python
cost"). The thresholds are Instagram's published approach in spirit; the values are ours.

A young collection at that threshold walks about 50,000 objects: a 15–25 ms pause in
one request of about 30 (session 15, docs/performance.md), the slowest 3 % of search
answers. So between requests (config/workers.py: once gunicorn's sync worker has sent
an answer and released the request) the collection the collector would soon run inside
a request runs instead, when the young generation holds ``YOUNG_BETWEEN_REQUESTS``
objects: the same work, smaller pauses, and none while a client waits. The thresholds
stay as the backstop for a request that allocates more on its own.
"""

import gc

# Allocations (minus deallocations) before a young collection, then how many young
# collections before a middle one, and middle ones before a full one.
GC_THRESHOLDS = (50_000, 20, 20)
# Young objects (allocations minus deallocations) at which a finished request collects.
YOUNG_BETWEEN_REQUESTS = 10_000


def settle_garbage_collector():
    """Freeze what is alive now out of the collector's way and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def collect_between_requests():
    """Run the collection the collector would run next, if the young generation is big
    enough to make one worth it; return the generation collected, or None.

    The generation is the oldest whose count passed its threshold (middle: young
    collections since the last middle one; full: middle collections since the last full
    one), as CPython chooses at a young collection, except that CPython also puts off a
    full one while few objects have reached the old generation since the last
    (``long_lived_pending``, which Python code cannot read): here a full collection runs
    every 441 young ones, walking only what reached the old generation since the freeze.
    """
    young, middle, old = gc.get_count()
    if young < YOUNG_BETWEEN_REQUESTS:
        return None
    _, middle_threshold, old_threshold = gc.get_threshold()
    generation = 2 if old > old_threshold else 1 if middle > middle_threshold else 0
    gc.collect(generation)
    return generation
