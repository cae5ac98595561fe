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
"""

import gc

# Allocations (minus deallocations) before a young collection, then how many young
# collections before a middle one, and middle ones before a full one.
GC_THRESHOLDS = (50_000, 20, 20)


def settle_garbage_collector():
    """Freeze what is alive now out of the collector's way and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
