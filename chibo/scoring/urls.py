from django.urls import path

from chibo.scoring import classification_views, rules_views, views

app_name = "scoring"
urlpatterns = [
    path("meetings/<int:pk>/score/", views.meeting_score, name="meeting"),
    path("meetings/<int:pk>/score/confirm/", views.confirm_meeting_score, name="confirm"),
    path("units/<str:code>/scorecard/", views.cell_scorecard, name="scorecard"),
    path("units/<str:code>/league/", views.league, name="league"),
    path("rules/", rules_views.rules, name="rules"),
    path("rules/rubrics/<str:code>/new/", rules_views.rubric_new, name="rubric_new"),
    path("units/<str:code>/compliance/", views.compliance_page, name="compliance"),
    path("units/<str:code>/classification/", classification_views.board, name="classification"),
    path(
        "units/<str:code>/classification/cell/",
        classification_views.rate_cell,
        name="rate_cell",
    ),
    path(
        "units/<str:code>/classification/export/",
        classification_views.export,
        name="classification_export",
    ),
    path("classification/members/<int:pk>/", classification_views.rate_member, name="rate_member"),
]
