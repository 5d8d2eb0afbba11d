"""Who may do what through the API: anyone may read; a write needs the model's permission."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ModelPermissionsOrAnonReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """DRF's model permissions: reads for anyone, and a write for a user with the permission to
    add, change or delete the view's model (as in the admin).

    A read needs no permission, so it is answered without the view's queryset, which DRF builds
    only to learn the model: a list's costs more to build than the permission check itself.
    """

    def has_permission(self, request, view) -> bool:
        if request.user and self.perms_map.get(request.method) == []:
            return True
        return super().has_permission(request, view)
