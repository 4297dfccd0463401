from django.urls import path

from chibo.members import views

app_name = "members"
urlpatterns = [
    path("units/<str:code>/members/", views.roster, name="roster"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/history/", views.member_history, name="member_history"),
]
