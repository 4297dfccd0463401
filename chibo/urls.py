from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from chibo import views
from chibo.orgs import twofactor

admin.site.site_header = "chibo"

urlpatterns = [
    path("", include("chibo.portal.urls")),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/two-factor/", twofactor.status, name="two_factor"),
    path("accounts/two-factor/setup/", twofactor.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", twofactor.verify, name="two_factor_verify"),
    path("accounts/two-factor/disable/", twofactor.disable, name="two_factor_disable"),
    # The language can be chosen before logging in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("units/", include("chibo.orgs.urls")),
    path("", include("chibo.members.urls")),
    path("", include("chibo.meetings.urls")),
    path("", include("chibo.scoring.urls")),
    path("", include("chibo.supervision.urls")),
    path("", include("chibo.content.urls")),
    path("", include("chibo.development.urls")),
    path("", include("chibo.reports.urls")),
    path("search/", include("chibo.search.urls")),
    path("admin/", admin.site.urls),
]
