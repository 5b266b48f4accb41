"""The web services app's pages (the classic wire is webservices/urls.py, the studio API webservices/api/)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("web-services/", pages.web_services, name="web-services"),
    path("web-services/<int:service_id>/", pages.web_service, name="web-service"),
    path("web-services/<int:service_id>/delete/", pages.web_service_remove, name="web-service-delete"),
    path("web-services/<int:service_id>/traffic/", pages.web_service_traffic, name="web-service-traffic-set"),
    path("web-services/<int:service_id>/endpoints/<str:name>/", pages.web_service_endpoint,
         name="web-service-endpoint"),
    path("web-services/<int:service_id>/endpoints/<str:name>/swagger.json", pages.web_service_swagger,
         name="web-service-swagger"),
]
