from django.urls import path

from chibo.directives import views

app_name = "directives"
urlpatterns = [
    path("requests/", views.inbox, name="inbox"),
    path("units/<str:code>/requests/new/", views.new_request, name="new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/consolidated/", views.consolidated, name="consolidated"),
    path(
        "requests/<int:pk>/consolidated.<str:fmt>",
        views.consolidated_export,
        name="consolidated_export",
    ),
    path("answers/<int:pk>/", views.answer_detail, name="answer"),
    path("answers/<int:pk>/file/", views.answer_file, name="answer_file"),
]
