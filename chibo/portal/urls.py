from django.urls import path
from django.views.generic import RedirectView

from chibo.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", views.todo, name="todo"),
    path("todo/count/", views.todo_badge, name="todo_count"),
    # The former "My tasks" page, whose tasks are on the to-do list now: bookmarks still work.
    path("tasks/mine/", RedirectView.as_view(pattern_name="portal:todo"), name="my_tasks"),
    # Under units/ as the other unit pages (orgs), where users' bookmarks point.
    path("units/<str:code>/", views.unit_detail, name="unit"),
]
