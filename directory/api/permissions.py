"""Who may write: curators. Everyone may read."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

# Created by a data migration (directory/migrations/0005_curators_group.py).
CURATORS_GROUP = "Curators"


def is_curator(user):
    """Return True for an active staff user or a member of the Curators group.

    Anonymous users are never curators (and cost no query).
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or user.groups.filter(name=CURATORS_GROUP).exists()


class IsCuratorOrReadOnly(BasePermission):
    """Reads for anyone; writes for curators.

    An anonymous write is refused as unauthenticated (401, with the token scheme in
    WWW-Authenticate); a signed-in non-curator's write as forbidden (403).
    """

    message = "Only curators (staff or members of the Curators group) may change listings."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_curator(request.user)
