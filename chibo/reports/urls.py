from django.urls import path

from chibo.reports import views

app_name = "reports"
urlpatterns = [
    path("units/<str:code>/dashboard/", views.dashboard, name="dashboard"),
    path("units/<str:code>/dashboard/<slug:table>.<slug:fmt>", views.export, name="export"),
]
