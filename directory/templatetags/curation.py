"""Template tags of the curators' admin."""

from django import template
from django.urls import reverse

from directory.models import Facility, needing_verification

register = template.Library()


@register.simple_tag(takes_context=True)
def listings_needing_verification(context):
    """Return the number of listings needing verification and the link to them, or None
    when the user may not see facilities."""
    user = context["request"].user
    if not (user.has_perm("directory.view_facility") or user.has_perm("directory.change_facility")):
        return None
    return {
        "count": Facility.objects.filter(needing_verification()).count(),
        "url": reverse("admin:directory_facility_changelist") + "?needs_verification=yes",
    }
