from django.urls import include, path
from rest_framework.routers import DefaultRouter

from directory.api import views

router = DefaultRouter()
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("care-levels", views.CareLevelViewSet, basename="care-level")
router.register("neighborhoods", views.NeighborhoodViewSet, basename="neighborhood")
router.register("service-areas", views.ServiceAreaViewSet, basename="service-area")

urlpatterns = [path("", include(router.urls))]
