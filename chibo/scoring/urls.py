from django.urls import path

from chibo.scoring import views

app_name = "scoring"
urlpatterns = [
    path("meetings/<int:pk>/score/", views.meeting_score, name="meeting"),
    path("meetings/<int:pk>/score/confirm/", views.confirm_meeting_score, name="confirm"),
    path("units/<str:code>/scorecard/", views.cell_scorecard, name="scorecard"),
    path("units/<str:code>/league/", views.league, name="league"),
]
