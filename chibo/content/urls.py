from django.urls import path

from chibo.content import views

app_name = "content"
urlpatterns = [
    path("units/<str:code>/materials/", views.materials, name="materials"),
    path("materials/<int:pk>/", views.material, name="material"),
    path("materials/<int:pk>/file/", views.material_file, name="file"),
    path("materials/<int:pk>/read/", views.confirm_read, name="confirm_read"),
    path("materials/<int:pk>/coverage/", views.coverage, name="coverage"),
]
