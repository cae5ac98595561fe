"""Helpers for the admin tests: users in the roles of README "Curators", and the POST data
a browser would send for an admin form as the server rendered it."""

from datetime import date, datetime, time

from django.contrib.auth.models import Group, User

from directory.models import CareLevel

PASSWORD = "correct-horse-battery-staple"
CURATORS = "Curators"


def make_curator(username="curator"):
    """Return a staff user whose only permissions are the Curators group's."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS))
    return user


def make_superuser(username="admin"):
    return User.objects.create_superuser(username, password=PASSWORD)


def form_data(response):
    """Return the POST data of the admin change form in response, as rendered (unchanged).

    Covers the main form and every inline formset, management forms included: the
    same fields with the same values a browser would send without any edit.
    """
    data = dict(_values(response.context["adminform"].form))
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_values(formset.management_form))
        for form in formset.forms:
            data.update(_values(form))
    return data


def post_change(client, url, **changes):
    """POST the admin change form at ``url`` as rendered, with these fields changed."""
    data = form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def _values(form):
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if isinstance(value, bool):
            if value:
                yield bound.html_name, "on"
        elif isinstance(value, list | tuple):
            yield bound.html_name, [str(item) for item in value]
        elif value is None:
            # an empty multiple choice sends nothing; any other empty field sends ""
            if not getattr(bound.field.widget, "allow_multiple_selected", False):
                yield bound.html_name, ""
        elif isinstance(value, time):
            yield bound.html_name, value.strftime("%H:%M")
        elif isinstance(value, date | datetime):
            yield bound.html_name, value.isoformat()
        else:
            yield bound.html_name, str(value)


def inline_prefix(response, model_name):
    """Return the formset prefix of the inline for model_name (e.g. 'hours')."""
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model_name:
            return inline.formset.prefix
    raise LookupError(model_name)


def add_inline_row(data, prefix, index, **values):
    """Fill the extra form `index` of an inline formset and count it in its management form."""
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(max(int(data[f"{prefix}-TOTAL_FORMS"]), index + 1))
    return data


def program_add_form(facility):
    """What the admin's program add form posts for a program of this facility."""
    return {
        "facility": facility.pk,
        "name": "Added",
        "care_level": CareLevel.objects.get(slug="iop").pk,
        "accepting_new_clients": "on",
        "description": "",
        "min_age": "",
        "max_age": "",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        "listing_version": "",
    }
