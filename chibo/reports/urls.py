from django.urls import path

from chibo.reports import audit_views, views

app_name = "reports"
urlpatterns = [
    path("units/<str:code>/dashboard/", views.dashboard, name="dashboard"),
    path("units/<str:code>/dashboard/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("units/<str:code>/reports/", views.reports, name="reports"),
    path("units/<str:code>/audit/", audit_views.audit, name="audit"),
    path("reports/<str:pk>/", views.report_status, name="report"),
    path("reports/<str:pk>/<slug:fmt>/", views.report_file, name="report_file"),
]
