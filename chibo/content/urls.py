from django.urls import path

from chibo.content import cell_views, topic_views, views

app_name = "content"
urlpatterns = [
    path("units/<str:code>/materials/", views.materials, name="materials"),
    path("materials/<int:pk>/", views.material, name="material"),
    path("materials/<int:pk>/file/", views.material_file, name="file"),
    path("materials/<int:pk>/read/", views.confirm_read, name="confirm_read"),
    path("materials/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("units/<str:code>/good-practice/", views.good_practice, name="good_practice"),
    path("good-practice/<int:pk>/spread/", views.spread, name="spread"),
    path("units/<str:code>/topics/", topic_views.topics, name="topics"),
    path("topics/<int:pk>/", topic_views.topic, name="topic"),
    path("units/<str:code>/regulations/", cell_views.regulations, name="regulations"),
    path("regulations/<int:pk>/file/", cell_views.regulation_file, name="regulation_file"),
    path("units/<str:code>/training/", cell_views.training, name="training"),
    path("courses/<int:pk>/", cell_views.course, name="course"),
]
