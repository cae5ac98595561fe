"""The curators' admin (issue 5): listings with their hours, closures, programs and sessions;
freshness; history; no lost edits; bulk import of interchange files.

- Validation is the models' ``clean()`` (which calls ``directory.validation``, like the
  import), so each problem shows on its field.
- No lost edits: the facility form (and the program form, for its facility) carries the
  facility's ``version`` as it was when the page was opened. Saving checks it against
  the stored one (locked with SELECT ... FOR UPDATE where the database has it) and then
  increments it with one conditional UPDATE, so a second save from a page opened before
  the first one is refused with ``LISTING_CHANGED`` instead of overwriting it.
- Every write goes through a model save, a simple-history bulk helper or the import
  service, so it leaves history with the curator as its user.
- Bulk import: the uploaded file is checked with a dry run, and its text travels to the
  confirmation step in a signed, compressed hidden field (``django.core.signing``): the
  server keeps no state between the steps and a changed or expired token is refused.
"""

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminTimeWidget, FilteredSelectMultiple
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from directory.choices import LANGUAGE_CHOICES, Payment, Status
from directory.models import (
    CareLevel,
    Closure,
    Facility,
    Hours,
    Neighborhood,
    Organization,
    Program,
    ServiceArea,
    Session,
    lock_facilities,
    needing_verification,
    refresh_program_visibility,
    verification_cutoff,
)
from directory.services import (
    InterchangeError,
    facility_import,
    iter_interchange,
    refresh_program_summaries,
    refresh_schedule,
    refresh_search_text,
)

LISTING_CHANGED = (
    "This listing changed since you opened it: someone else saved it in the meantime. "
    "Nothing was saved. Open the listing again to see the current version, then make your "
    "changes again."
)
PUBLISHED = "Published {count} listing(s)."
ARCHIVED = "Archived {count} listing(s)."
MARKED_VERIFIED = "Marked {count} listing(s) verified on {date}."
ACTION_CHANGE_REASON = "admin action: {action}"

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_TOO_LARGE = (
    "The file is {size} bytes; the admin imports files of up to {limit} bytes. "
    "Use the import_facilities command for larger files."
)
IMPORT_NOT_UTF8 = "The file is not UTF-8 text."
IMPORT_EXPIRED = "This import summary expired or was altered; upload the file again."
IMPORT_NOTHING_WRITTEN = "Nothing was imported: the file has {count} problem(s)."
IMPORT_DONE = "Imported {name}: created {created}, updated {updated} facilities."
IMPORT_TOKEN_SALT = "directory.admin.facility-import"
IMPORT_TOKEN_MAX_AGE = 60 * 60  # seconds during which a dry-run summary can be confirmed
# Room kept in the confirmation POST for the CSRF token and field names.
IMPORT_POST_OVERHEAD = 4096

AGE_BOUNDS = {
    "min_value": 0,
    "max_value": 150,
    "required": False,
    "widget": forms.NumberInput(attrs={"class": "vIntegerField"}),
}


class ListingChanged(Exception):
    """Another save incremented the facility's version between the check and the write."""


# --- forms -------------------------------------------------------------------------------


class ListingVersionForm(forms.ModelForm):
    """A form that refuses to save when its facility changed since the page was opened.

    ``listing_version`` is the facility's stored version when the form was first shown;
    ``guarded_facility_id`` names the facility (None on an add page: nothing was seen).
    """

    listing_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def guarded_facility_id(self):
        raise NotImplementedError

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        facility_id = self.guarded_facility_id()
        if facility_id is not None and not self.is_bound:
            # Read from the database, not the instance: a history page's instance is an
            # old version, and saving it (a revert) is a change to the current one.
            self.fields["listing_version"].initial = stored_version(facility_id)

    def clean(self):
        cleaned_data = super().clean()
        facility_id = self.guarded_facility_id()
        # Locked until the admin's transaction ends, so the check still holds when
        # save_model increments the version (no lock on SQLite: see changeform_view).
        if facility_id is not None and cleaned_data.get("listing_version") != stored_version(
            facility_id, lock=True
        ):
            raise ValidationError(LISTING_CHANGED, code="listing_changed")
        return cleaned_data


def stored_version(facility_id, *, lock=False):
    """Return the facility's stored version (None when it no longer exists)."""
    facilities = Facility.objects.filter(pk=facility_id).order_by()
    if lock and transaction.get_connection().in_atomic_block:
        facilities = facilities.select_for_update()
    return facilities.values_list("version", flat=True).first()


class FacilityAdminForm(ListingVersionForm):
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=FilteredSelectMultiple("languages", is_stacked=False),
        help_text="Languages spoken by the staff (ISO 639-1 codes, plus ASL).",
    )
    payment = forms.MultipleChoiceField(
        choices=Payment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Payment options accepted.",
    )
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    latitude = forms.FloatField(min_value=-90, max_value=90, required=False)
    longitude = forms.FloatField(min_value=-180, max_value=180, required=False)

    class Meta:
        model = Facility
        fields = [
            "name",
            "slug",
            "organization",
            "description",
            "street",
            "city",
            "state",
            "postal_code",
            "neighborhood",
            "latitude",
            "longitude",
            "phone",
            "website",
            "languages",
            "payment",
            "open_24_7",
            "status",
            "source",
            "verified_at",
        ]

    def guarded_facility_id(self):
        return self.instance.pk

    def clean_languages(self):
        return sorted(set(self.cleaned_data["languages"]))

    def clean_payment(self):
        return sorted(set(self.cleaned_data["payment"]))


class ProgramForm(forms.ModelForm):
    min_age = forms.IntegerField(**AGE_BOUNDS)
    max_age = forms.IntegerField(**AGE_BOUNDS)

    class Meta:
        model = Program
        fields = [
            "facility",
            "name",
            "care_level",
            "description",
            "dual_diagnosis",
            "detox",
            "accepting_new_clients",
            "telehealth",
            "min_age",
            "max_age",
        ]


class ProgramAdminForm(ListingVersionForm, ProgramForm):
    def guarded_facility_id(self):
        return self.instance.facility_id if self.instance.pk else None


# --- list filters ------------------------------------------------------------------------


class NeedsVerificationFilter(admin.SimpleListFilter):
    title = "needs verification"
    parameter_name = "needs_verification"

    def lookups(self, request, model_admin):
        return [("yes", "Needs verification"), ("no", "Verified recently")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(needing_verification())
        if self.value() == "no":
            return queryset.filter(verified_at__gte=verification_cutoff())
        return queryset


class CareLevelFilter(admin.SimpleListFilter):
    title = "level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return list(CareLevel.objects.order_by("rank").values_list("slug", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.offering(Program.objects.filter(care_level__slug=self.value()))
        return queryset


class ServiceAreaFilter(admin.SimpleListFilter):
    title = "service area"
    parameter_name = "service_area"

    def lookups(self, request, model_admin):
        return [(str(area.number), str(area)) for area in ServiceArea.objects.order_by("number")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.in_service_areas([int(self.value())])
        return queryset


class DualDiagnosisFilter(admin.SimpleListFilter):
    title = "dual diagnosis"
    parameter_name = "dual_diagnosis"

    def lookups(self, request, model_admin):
        return [("yes", "Has a dual-diagnosis program"), ("no", "Has none")]

    def queryset(self, request, queryset):
        dual = Program.objects.filter(dual_diagnosis=True)
        if self.value() == "yes":
            return queryset.offering(dual)
        if self.value() == "no":
            return queryset.exclude(pk__in=dual.values("facility_id"))
        return queryset


# --- inlines -----------------------------------------------------------------------------


class ListingPartInline(admin.TabularInline):
    """Rows that are part of a listing (hours, closures, sessions).

    Removing one is editing the listing, so whoever may change the listing may remove
    them (curators have no delete permission); the deletion is kept in the history.
    """

    extra = 1
    # Wall-clock times to the minute, as in the interchange file (DESIGN §4).
    formfield_overrides = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class HoursInline(ListingPartInline):
    model = Hours
    fields = ["day", "opens_at", "closes_at"]


class ClosureInline(ListingPartInline):
    model = Closure
    fields = ["starts_on", "ends_on", "reason"]


class SessionInline(ListingPartInline):
    model = Session
    fields = ["day", "starts_at", "ends_at"]


class ProgramInline(admin.TabularInline):
    """Programs of a facility; each links to its own page, where its sessions are."""

    model = Program
    form = ProgramForm
    extra = 1
    show_change_link = True
    fields = [
        "name",
        "care_level",
        "dual_diagnosis",
        "accepting_new_clients",
        "min_age",
        "max_age",
        "schedule",
    ]
    readonly_fields = ["schedule"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "care_level":
            # Care levels are reference data: no links beside the choice (a narrower row).
            formfield.widget = getattr(formfield.widget, "widget", formfield.widget)
        return formfield

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("care_level__rank", "name")

    @admin.display(description="week")
    def schedule(self, program):
        """Return the program's week in short (the sessions are on its own page)."""
        if program.pk is None:
            return "—"
        if not program.days_per_week:
            return "by appointment"
        return f"{program.days_per_week} d, {program.hours_per_week:g} h"


# --- facilities --------------------------------------------------------------------------


class ListingAdmin(SimpleHistoryAdmin):
    """The admin of a listing (or of a program, part of one) whose form is a
    ListingVersionForm; its save_model claims the facility's version and raises
    ListingChanged when that fails."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ListingChanged:
            # Lost the race after the form's check (possible only where the check cannot
            # lock the row, i.e. SQLite); the transaction was rolled back.
            self.message_user(request, LISTING_CHANGED, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert is a save: one transaction, like the change page's.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Facility)
class FacilityAdmin(ListingAdmin):
    form = FacilityAdminForm
    inlines = [HoursInline, ClosureInline, ProgramInline]
    list_display = [
        "name",
        "neighborhood",
        "service_area",
        "levels_offered",
        "status",
        "source",
        "verified_at",
        "verification",
    ]
    list_select_related = ["neighborhood"]
    list_filter = [
        "status",
        "source",
        CareLevelFilter,
        ServiceAreaFilter,
        DualDiagnosisFilter,
        NeedsVerificationFilter,
    ]
    search_fields = ["name", "organization__name", "street", "neighborhood__name"]
    actions = ["publish", "archive", "mark_verified_today"]
    autocomplete_fields = ["organization", "neighborhood"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "organization", "description"]}),
        (
            "Address",
            {
                "fields": [
                    "street",
                    "city",
                    "state",
                    "postal_code",
                    "neighborhood",
                    ("latitude", "longitude"),
                ]
            },
        ),
        ("Contact", {"fields": ["phone", "website"]}),
        ("Access", {"fields": ["languages", "payment", "open_24_7"]}),
        (
            "Curation",
            {
                "fields": [
                    "status",
                    "source",
                    "verified_at",
                    "listing_version",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]
    change_list_template = "admin/directory/facility/change_list.html"
    object_history_template = "admin/directory/facility/object_history.html"
    import_template = "admin/directory/facility/import.html"
    # How many changes to hours, closures, programs and sessions the history page lists.
    part_changes_shown = 100

    @admin.display(description="service area", ordering="neighborhood__service_area")
    def service_area(self, facility):
        return facility.neighborhood.service_area_id if facility.neighborhood else None

    @admin.display(description="levels offered")
    def levels_offered(self, facility):
        return ", ".join(facility.levels)

    @admin.display(description="freshness", ordering="verified_at")
    def verification(self, facility):
        if not facility.needs_verification:
            return ""
        return format_html('<span class="needs-verification">{}</span>', "needs verification")

    # Saving: the version check, then the derived schedule columns.

    def save_model(self, request, obj, form, change):
        if change and not obj.claim_version(form.cleaned_data.get("listing_version")):
            raise ListingChanged
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_schedule(form.instance)

    # Actions: one bulk update that leaves history for every listing.

    @admin.action(description="Publish selected listings", permissions=["change"])
    def publish(self, request, queryset):
        count = self._update_listings(request, queryset, "publish", status=Status.PUBLISHED)
        self.message_user(request, PUBLISHED.format(count=count), messages.SUCCESS)

    @admin.action(description="Archive selected listings", permissions=["change"])
    def archive(self, request, queryset):
        count = self._update_listings(request, queryset, "archive", status=Status.ARCHIVED)
        self.message_user(request, ARCHIVED.format(count=count), messages.SUCCESS)

    @admin.action(description="Mark selected listings verified today", permissions=["change"])
    def mark_verified_today(self, request, queryset):
        today = timezone.localdate()
        count = self._update_listings(request, queryset, "mark verified", verified_at=today)
        message = MARKED_VERIFIED.format(count=count, date=today.isoformat())
        self.message_user(request, message, messages.SUCCESS)

    def _update_listings(self, request, queryset, action, **values):
        """Set values on the listings, incrementing their versions; return how many."""
        ids = list(queryset.values_list("pk", flat=True))
        now = timezone.now()
        with transaction.atomic():
            facilities = list(Facility.objects.select_for_update().filter(pk__in=ids))
            for facility in facilities:
                for name, value in values.items():
                    setattr(facility, name, value)
                facility.version += 1
                facility.updated_at = now
            bulk_update_with_history(
                facilities,
                Facility,
                [*values, "version", "updated_at"],
                default_user=request.user,
                default_change_reason=ACTION_CHANGE_REASON.format(action=action),
            )
            refresh_program_visibility(facilities)
        return len(facilities)

    # History: the facility's own rows, plus the changes to its parts.

    def history_view(self, request, object_id, extra_context=None):
        context = {"part_changes": self.part_changes(unquote(object_id))}
        return super().history_view(request, object_id, {**context, **(extra_context or {})})

    def part_changes(self, facility_id):
        """Return the latest history rows of the facility's hours, closures, programs and
        sessions (deleted ones included), newest first."""
        try:
            facility_id = int(facility_id)
        except ValueError:
            return []
        limit = self.part_changes_shown
        program_ids = Program.history.filter(facility_id=facility_id).values("id")
        # The latest name of every program the facility has had, for its sessions' rows.
        program_names = dict(
            Program.history.filter(facility_id=facility_id)
            .order_by("history_date")
            .values_list("id", "name")
        )
        querysets = [
            Hours.history.filter(facility_id=facility_id),
            Closure.history.filter(facility_id=facility_id),
            Program.history.filter(facility_id=facility_id).select_related("care_level"),
            Session.history.filter(program_id__in=program_ids),
        ]
        rows = [
            row
            for queryset in querysets
            for row in queryset.select_related("history_user").order_by("-history_date")[:limit]
        ]
        rows.sort(key=lambda row: row.history_date, reverse=True)
        return [
            {
                "date": row.history_date,
                "user": row.history_user,
                "part": row.instance_type._meta.verbose_name,
                "object": describe_part(row, program_names),
                "type": row.get_history_type_display(),
                "reason": row.history_change_reason or "",
            }
            for row in rows[:limit]
        ]

    # Bulk import of an interchange file: upload, dry-run summary, confirm.

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="directory_facility_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        context = {"form": InterchangeUploadForm()}
        if request.method == "POST" and "token" in request.POST:
            return self._confirm_import(request)
        if request.method == "POST":
            form = InterchangeUploadForm(request.POST, request.FILES)
            context["form"] = form
            if form.is_valid():
                result = facility_import(records=form.records, dry_run=True)
                context.update(name=form.file_name, result=result)
                if result.ok:
                    context["token"] = signing.dumps(
                        {"name": form.file_name, "text": form.text},
                        salt=IMPORT_TOKEN_SALT,
                        compress=True,
                    )
                    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                    if limit and len(context["token"]) + IMPORT_POST_OVERHEAD > limit:
                        size, maximum = len(form.text.encode()), MAX_IMPORT_BYTES
                        form.add_error("file", IMPORT_TOO_LARGE.format(size=size, limit=maximum))
                        context.pop("token")
        return self._render_import(request, context)

    def _confirm_import(self, request):
        try:
            upload = signing.loads(
                request.POST["token"], salt=IMPORT_TOKEN_SALT, max_age=IMPORT_TOKEN_MAX_AGE
            )
        except signing.BadSignature:
            self.message_user(request, IMPORT_EXPIRED, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:directory_facility_import"))
        result = facility_import(records=iter_interchange(io.BytesIO(upload["text"].encode())))
        if not result.ok:
            # The database changed since the dry run (a neighborhood removed, say).
            message = IMPORT_NOTHING_WRITTEN.format(count=len(result.problems))
            self.message_user(request, message, messages.ERROR)
            context = {"form": InterchangeUploadForm(), "name": upload["name"], "result": result}
            return self._render_import(request, context)
        message = IMPORT_DONE.format(
            name=upload["name"], created=len(result.created), updated=len(result.updated)
        )
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:directory_facility_changelist"))

    def _render_import(self, request, context):
        context = {
            **self.admin_site.each_context(request),
            "title": "Import facilities",
            "opts": self.model._meta,
            "max_bytes": MAX_IMPORT_BYTES,
            **context,
        }
        return TemplateResponse(request, self.import_template, context)


def describe_part(row, program_names):
    """Return how a historical row of a listing's part reads, without a query."""
    if row.instance_type is Program:
        return f"{row.name} ({row.care_level.slug})"
    if row.instance_type is Session:
        return f"{program_names.get(row.program_id, row.program_id)}: {row.history_object}"
    return str(row.history_object)


class InterchangeUploadForm(forms.Form):
    file = forms.FileField(
        label="Interchange file",
        help_text="A JSON array of facilities, as written by export_facilities (DESIGN §6).",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(IMPORT_TOO_LARGE.format(size=upload.size, limit=MAX_IMPORT_BYTES))
        data = upload.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(IMPORT_NOT_UTF8) from None
        try:
            # Read by the same rules as import_facilities reads a file.
            self.records = list(iter_interchange(io.BytesIO(data)))
        except InterchangeError as error:
            raise ValidationError(str(error)) from None
        self.text, self.file_name = text, upload.name
        return upload


# --- programs ----------------------------------------------------------------------------


@admin.register(Program)
class ProgramAdmin(ListingAdmin):
    form = ProgramAdminForm
    inlines = [SessionInline]
    list_display = [
        "name",
        "facility",
        "care_level",
        "dual_diagnosis",
        "accepting_new_clients",
        "days_per_week",
        "hours_per_week",
    ]
    list_select_related = ["facility", "care_level"]
    list_filter = ["care_level", "dual_diagnosis", "detox", "accepting_new_clients", "telehealth"]
    search_fields = ["name", "facility__name"]
    autocomplete_fields = ["facility"]
    fieldsets = [
        (None, {"fields": ["facility", "name", "care_level", "description"]}),
        (
            "Who it serves and how",
            {
                "fields": [
                    "dual_diagnosis",
                    "detox",
                    "accepting_new_clients",
                    "telehealth",
                    ("min_age", "max_age"),
                ]
            },
        ),
        ("Week (from the sessions)", {"fields": [("days_per_week", "hours_per_week")]}),
        (None, {"fields": ["listing_version"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A program stays at its facility: the version check guards that facility.
        moved = ["facility"] if obj is not None else []
        return [*moved, "days_per_week", "hours_per_week"]

    def save_model(self, request, obj, form, change):
        # A program is part of its facility's listing: saving it is a new listing version.
        if change:
            if not obj.facility.claim_version(form.cleaned_data.get("listing_version")):
                raise ListingChanged
        else:
            Facility.objects.filter(pk=obj.facility_id).update(version=F("version") + 1)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_schedule(form.instance.facility)

    # Deleting (administrators only): the facility's search text and levels follow.

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_program_summaries([obj.facility_id])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            facility_ids = set(queryset.values_list("facility_id", flat=True))
            lock_facilities(facility_ids)  # first, as Program.delete does
            super().delete_queryset(request, queryset)
            refresh_program_summaries(facility_ids)


# --- reference data and organizations ------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The organization's name is part of its facilities' search text (q).
        refresh_search_text(Facility.objects.filter(organization=obj))


class ReferenceDataAdmin(admin.ModelAdmin):
    """Reference data comes from data migrations (DESIGN §6): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CareLevel)
class CareLevelAdmin(ReferenceDataAdmin):
    list_display = ["name", "slug", "rank", "lives_at_home", "round_the_clock"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(ReferenceDataAdmin):
    list_display = ["number", "name", "slug"]


@admin.register(Neighborhood)
class NeighborhoodAdmin(ReferenceDataAdmin):
    list_display = ["name", "slug", "kind", "city", "service_area"]
    list_filter = ["kind", "service_area"]
    search_fields = ["name", "slug", "city"]
