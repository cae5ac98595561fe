"""Writes of one facility through the API: create, replace, patch and archive (issue 7).

Every write goes through the import service (``directory.services.facility_import``),
so a record is checked by the same rules, and stored with the same history, as a line
of an interchange file.

No lost updates: a change names the state of the facility it was made from (the
``ETag`` its author read, sent back in ``If-Match``). The facility's row is locked
(``SELECT … FOR UPDATE``; SQLite serializes writers by itself) and its entity tag
compared inside the transaction that writes, so of two writers who read the same
version the second waits for the first, then is refused with ``FacilityChanged``.
"""

import hashlib
from collections.abc import Collection
from typing import Any

from django.core.validators import slug_re
from django.db import IntegrityError, transaction

from directory.choices import Status
from directory.models import Facility
from directory.services import ImportProblem, facility_export, facility_import

SLUG_MISMATCH = "is '{given}' but the URL names '{slug}': a facility's slug cannot change"
NOT_AN_OBJECT = "expected an object, got {kind}"
SLUG_TAKEN = "a facility with slug '{slug}' already exists; change it with PUT or PATCH"
# If-Match: * matches any current state: the client overwrites knowingly.
ANY_ETAG = "*"


class FacilityNotFound(Exception):
    """No facility has this slug."""


class FacilityChanged(Exception):
    """The facility is no longer in the state the client read (If-Match does not match)."""


class SlugTaken(Exception):
    """A facility with the new record's slug already exists."""


class RecordInvalid(Exception):
    """The record breaks the interchange rules; ``problems`` says where and how."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def facility_etag(facility: Facility) -> str:
    """Return the facility's strong entity tag, quoted: ``"<slug>.<version>.<digest>"``.

    The version changes with every write to the listing. The digest covers the two
    things its representation shows that change without one: ``needs_verification``
    (as time passes) and the organization's name (shared by listings, so an import of
    another listing may rename it). A conditional GET therefore never answers 304 for
    a representation that changed. ``facility.organization`` must be loaded.
    """
    organization = facility.organization
    unversioned = repr(
        (
            facility.needs_verification,
            organization.slug if organization else None,
            organization.name if organization else None,
        )
    )
    digest = hashlib.sha256(unversioned.encode()).hexdigest()[:8]
    return f'"{facility.slug}.{facility.version}.{digest}"'


def facility_create(*, record: Any) -> Facility:
    """Create a facility from an interchange record; return it, ready to represent.

    Raises RecordInvalid when the record breaks a rule, SlugTaken when its slug is
    already used (whatever that facility's status: archived listings keep their slug).
    """
    checked = facility_import(records=[record], dry_run=True)
    if checked.problems:
        raise RecordInvalid(checked.problems)
    if checked.updated:
        raise SlugTaken(SLUG_TAKEN.format(slug=checked.updated[0]))
    [slug] = checked.created
    try:
        with transaction.atomic():
            _import(record)
            # A concurrent create that committed first turns this import into an update
            # of its facility (the import upserts): then ours is the second, and loses.
            if Facility.objects.filter(slug=slug).values_list("version", flat=True).get() != 1:
                raise SlugTaken(SLUG_TAKEN.format(slug=slug))
            return _representable(slug)
    except IntegrityError:
        # Both inserted at once; the unique slug made ours wait, then fail.
        if Facility.objects.filter(slug=slug).exists():
            raise SlugTaken(SLUG_TAKEN.format(slug=slug)) from None
        raise


def facility_replace(*, slug: str, record: Any, if_match: Collection[str]) -> Facility:
    """Replace the facility with this slug by an interchange record; return it.

    The record may leave out ``slug``; any field it leaves out takes the interchange
    default (a record without ``status`` is a draft). Raises FacilityNotFound,
    FacilityChanged (``if_match`` names none of its current entity tags) or
    RecordInvalid.
    """
    with transaction.atomic():
        _locked(slug, if_match)
        _import(_with_slug(record, slug))
        return _representable(slug)


def facility_patch(*, slug: str, changes: Any, if_match: Collection[str]) -> Facility:
    """Merge ``changes``' top-level keys into the facility's interchange record; return it.

    A key replaces the record's value whole (``programs`` replaces every program,
    ``address`` the whole address); then the merged record is checked as a whole.
    Raises like ``facility_replace``.
    """
    with transaction.atomic():
        facility = _locked(slug, if_match)
        if not isinstance(changes, dict):
            kind = type(changes).__name__
            raise RecordInvalid([ImportProblem(0, slug, "", NOT_AN_OBJECT.format(kind=kind))])
        current = facility_export(Facility.objects.filter(pk=facility.pk))[0]
        _import(_with_slug({**current, **changes}, slug))
        return _representable(slug)


def facility_archive(*, slug: str, if_match: Collection[str]) -> Facility:
    """Archive the facility: it leaves the public API but keeps its data and history.

    Archiving an archived facility changes nothing. Raises FacilityNotFound or
    FacilityChanged. A curator restores it by writing another ``status``.
    """
    with transaction.atomic():
        facility = _locked(slug, if_match)
        if facility.status != Status.ARCHIVED:
            record = facility_export(Facility.objects.filter(pk=facility.pk))[0]
            _import({**record, "status": Status.ARCHIVED.value})
        return _representable(slug)


def _locked(slug, if_match):
    """Return the facility, locked until the transaction ends, if if_match names it."""
    if not (isinstance(slug, str) and slug_re.match(slug)):
        raise FacilityNotFound(slug)
    facility = (
        Facility.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(slug=slug)
        .first()
    )
    if facility is None:
        raise FacilityNotFound(slug)
    if ANY_ETAG not in if_match and facility_etag(facility) not in if_match:
        raise FacilityChanged(slug)
    return facility


def _with_slug(record, slug):
    """Return the record with the URL's slug; a record naming another slug is invalid."""
    if not isinstance(record, dict):
        return record  # the import reports what it is
    given = record.get("slug", slug)
    if given != slug:
        message = SLUG_MISMATCH.format(given=str(given)[:100], slug=slug)
        raise RecordInvalid([ImportProblem(0, slug, "slug", message)])
    return {**record, "slug": slug}


def _import(record):
    result = facility_import(records=[record])
    if result.problems:
        raise RecordInvalid(result.problems)


def _representable(slug):
    return Facility.objects.filter(slug=slug).for_representation().get()
