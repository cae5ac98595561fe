"""Reference data read on every search, kept in memory per process.

Care levels and neighborhoods come from data migrations and change only with a
deploy, yet each search checks its slugs against them; caching them keeps a
search to its few queries. Saving or deleting one through the ORM clears the cache
(directory.apps connects the signals); other processes see the change when they
restart, which a deploy does.
"""

_cache = {}


def care_levels():
    """Return {slug: CareLevel}, ordered by rank."""
    if "care_levels" not in _cache:
        from directory.models import CareLevel

        _cache["care_levels"] = {level.slug: level for level in CareLevel.objects.order_by("rank")}
    return _cache["care_levels"]


def care_level_slugs():
    """Return the set of care level slugs."""
    return care_levels().keys()


def neighborhood_ids():
    """Return {slug: id} of the neighborhoods (filters compare ids, which the planner estimates)."""
    if "neighborhoods" not in _cache:
        from directory.models import Neighborhood

        _cache["neighborhoods"] = dict(Neighborhood.objects.values_list("slug", "id"))
    return _cache["neighborhoods"]


def neighborhood_slugs():
    """Return the set of neighborhood slugs."""
    return neighborhood_ids().keys()


def clear(**kwargs):
    """Forget the cached reference data (a signal receiver, hence **kwargs)."""
    _cache.clear()
