from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from django_otp_webauthn import views as webauthn  # type: ignore[import-untyped]

from chibo import views
from chibo.api import views as api_views
from chibo.members import account_views
from chibo.orgs import twofactor

admin.site.site_header = "chibo"

# django-otp-webauthn's endpoints; signing in with a passkey happens before any login.
passkey_urls = (
    [
        path(
            "registration/begin/",
            webauthn.BeginCredentialRegistrationView.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            webauthn.CompleteCredentialRegistrationView.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            login_not_required(webauthn.BeginCredentialAuthenticationView.as_view()),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            login_not_required(webauthn.CompleteCredentialAuthenticationView.as_view()),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            login_not_required(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)

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
    path("accounts/activate/", account_views.activate, name="activate"),
    path("accounts/activate/setup/", account_views.activate_setup, name="activate_setup"),
    path("accounts/activate/done/", account_views.activate_done, name="activate_done"),
    path("accounts/passkeys/", include(passkey_urls)),
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
    path("", include("chibo.directives.urls")),
    path("search/", include("chibo.search.urls")),
    path("api/v1/", include("chibo.api.urls")),
    path("accounts/api-tokens/", api_views.token_list, name="api_tokens"),
    path("accounts/api-tokens/<int:pk>/revoke/", api_views.token_revoke, name="api_token_revoke"),
    path("notifications/", include("chibo.notifications.urls")),
    path("admin/", admin.site.urls),
]
