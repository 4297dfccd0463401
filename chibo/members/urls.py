from django.urls import path

from chibo.members import account_views, views

app_name = "members"
urlpatterns = [
    path("units/<str:code>/members/", views.roster, name="roster"),
    path("units/<str:code>/members/new/", views.member_new, name="member_new"),
    path("units/<str:code>/members/export.xlsx", views.export_roster, name="export"),
    path("units/<str:code>/members/import/", views.import_roster_form, name="import"),
    path("units/<str:code>/members/accounts/", account_views.accounts, name="accounts"),
    path(
        "units/<str:code>/members/accounts/codes/",
        account_views.account_codes,
        name="account_codes",
    ),
    path("members/search/", views.search, name="search"),
    path("members/template.xlsx", views.roster_template, name="template"),
    path("members/imports/<uuid:pk>/", views.import_status, name="import_status"),
    path("members/imports/<uuid:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("members/imports/<uuid:pk>/retry/", views.import_retry, name="import_retry"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/history/", views.member_history, name="member_history"),
    path("members/<int:pk>/account/revoke/", account_views.account_revoke, name="account_revoke"),
    path("members/<int:pk>/<slug:action>/", views.member_action, name="member_action"),
]
