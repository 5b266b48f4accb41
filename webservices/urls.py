from django.urls import path

from . import batch_views, endpoint_views, help_pages, storage_views
from .scoring import call

HELP = "workspaces/<str:workspace_id>/webservices/<str:service_id>/endpoints/<str:ref>"

urlpatterns = [
    # Help pages and the API document (webservices/help_pages.py): the plain address for a key holder or a member,
    # the signed one (HelpLocation) for whoever was handed it; then {ApiLocation}/swagger.json.
    path(f"apihelp/{HELP}", help_pages.help_page, name="apihelp"),
    path(f"apihelp/{HELP}/<str:page>", help_pages.help_page, name="apihelp-page"),
    path(f"apihelp/<str:token>/{HELP}", help_pages.help_page, name="apihelp-signed"),
    path(f"apihelp/<str:token>/{HELP}/<str:page>", help_pages.help_page, name="apihelp-signed-page"),
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/swagger.json", help_pages.swagger_document,
         name="classic-swagger"),
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/execute", call.execute, name="rrs-execute"),
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/jobs", batch_views.jobs, name="bes-jobs"),
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/jobs/<str:job_id>", batch_views.job,
         name="bes-job"),
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/jobs/<str:job_id>/start",
         batch_views.job_start_view, name="bes-job-start"),
    path("workspaces/<str:workspace_id>/webservices/<str:service_id>/endpoints", endpoint_views.endpoints,
         name="classic-endpoints"),
    path("workspaces/<str:workspace_id>/webservices/<str:service_id>/endpoints/<str:name>", endpoint_views.endpoint,
         name="classic-endpoint"),
    path("workspaces/<str:workspace_id>/storage/<path:relative>", storage_views.storage_file, name="storage-file"),
    # The classic management API (issue 17): web services list and get, endpoint refresh.
    path("workspaces/<str:workspace_id>/webservices", endpoint_views.web_services, name="classic-web-services"),
    path("workspaces/<str:workspace_id>/webservices/<str:service_id>", endpoint_views.web_service,
         name="classic-web-service"),
    path("workspaces/<str:workspace_id>/webservices/<str:service_id>/endpoints/<str:name>/refresh",
         endpoint_views.endpoint_refresh_view, name="classic-endpoint-refresh"),
    # Any other path under /workspaces/ answers the classic JSON 404: webservices/classic_fallback_urls.py,
    # included after every app's routes by studio/urls.py, so that routes added here are never shadowed.
]
