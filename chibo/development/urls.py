from django.urls import path

from chibo.development import views

app_name = "development"
urlpatterns = [
    path("units/<str:code>/candidates/", views.candidates, name="candidates"),
    path("units/<str:code>/development/", views.development, name="development"),
    path("candidates/<int:pk>/", views.candidate, name="candidate"),
]
