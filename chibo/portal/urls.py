from django.urls import path

from chibo.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    # Under units/ as the other unit pages (orgs), where users' bookmarks point.
    path("units/<str:code>/", views.unit_detail, name="unit"),
]
