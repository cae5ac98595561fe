from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from directory.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("directory.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("healthz", healthz, name="healthz"),
]

# JSON answers under /api/ (and 503 JSON in a database outage, from any layer).
handler404 = "directory.api.errors.page_not_found"
handler500 = "directory.api.errors.server_error"
