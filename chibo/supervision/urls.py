from django.urls import path

from chibo.supervision import views

app_name = "supervision"
urlpatterns = [
    path("units/<str:code>/visits/", views.plan, name="plan"),
    path("units/<str:code>/working-groups/", views.groups, name="groups"),
    path("working-groups/mine/", views.my_groups, name="my_groups"),
    path("working-groups/<int:pk>/", views.group_detail, name="group"),
    path(
        "working-groups/<int:pk>/reports/<str:period>.<str:fmt>",
        views.group_report_file,
        name="report_file",
    ),
    path("working-groups/<int:pk>/reports/<str:period>/", views.group_report, name="report"),
    path("units/<str:code>/priority-cells/", views.priority_cells, name="priority_cells"),
    path("units/<str:code>/support/", views.cell_support, name="support"),
    path("units/<str:code>/weak-cells/", views.weak_cells, name="weak_cells"),
    path("weak-cells/<int:pk>/", views.weak_cell, name="weak_cell"),
    path("units/<str:code>/inspections/", views.programme, name="programme"),
    path("inspections/<int:pk>/", views.inspection, name="inspection"),
    path("visits/mine/", views.my_visits, name="my_visits"),
    path("rules/supervision/", views.rules, name="rules"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("meetings/<int:pk>/visits/", views.meeting_visits, name="meeting_visits"),
]
