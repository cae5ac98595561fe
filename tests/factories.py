"""Factories of interchange records; tests write them through the import service,
the same path every listing takes, so derived columns are always right."""

import factory

from directory.services import facility_import


class SessionRecord(factory.DictFactory):
    day = "mon"
    starts_at = "18:00"
    ends_at = "21:00"


class HoursRecord(factory.DictFactory):
    day = "mon"
    opens_at = "09:00"
    closes_at = "17:00"


class ClosureRecord(factory.DictFactory):
    starts_on = "2026-12-24"
    ends_on = "2026-12-25"
    reason = "Holiday"


class ProgramRecord(factory.DictFactory):
    name = factory.Sequence(lambda n: f"Program {n}")
    level = "outpatient"
    description = ""
    dual_diagnosis = False
    detox = False
    accepting_new_clients = True
    telehealth = False
    min_age = None
    max_age = None
    sessions = factory.List([])


class FacilityRecord(factory.DictFactory):
    slug = factory.Sequence(lambda n: f"facility-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    description = ""
    organization = None
    address = factory.Dict(
        {"street": "1 Main St", "city": "Los Angeles", "state": "CA", "postal_code": "90026"}
    )
    latitude = 34.0779
    longitude = -118.2606
    neighborhood = "echo-park"
    phone = ""
    website = ""
    languages = factory.List(["en"])
    payment = factory.List(["medi-cal"])
    open_24_7 = False
    hours = factory.List([])
    closures = factory.List([])
    programs = factory.List([])
    status = "published"
    verified_at = "2026-10-01"
    source = "curated"


def load(*records):
    """Import records (all or nothing) and return the import result."""
    result = facility_import(records=list(records))
    assert result.ok, [str(problem) for problem in result.problems]
    return result
