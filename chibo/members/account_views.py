"""Member accounts: the cell's "who can sign in" page, accounts and codes in one action
(slips as PDF, or codes sent by text message), revocation, and the activation pages a
member reaches from the slip."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import actor
from chibo.lib.sms import send_sms
from chibo.members.access import get_member_for_user
from chibo.members.accounts import (
    AccountState,
    IssuedCode,
    account_state,
    create_member_accounts,
    revoke_member_access,
    set_account_password,
    use_activation_code,
    with_account_state,
)
from chibo.members.models import Member
from chibo.members.slips import activation_url, slips_for, slips_pdf
from chibo.orgs.access import get_unit_for_user
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm


def _cell_for_manager(request: HttpRequest, code: str) -> Unit:
    unit = get_unit_for_user(request.user, code, action=Perm.MANAGE_MEMBERS)
    if not unit.is_cell:
        raise Http404
    return unit


def account_rows(unit: Unit) -> list[tuple[Member, str]]:
    """The cell's members on the roll with the state of their account, in name order."""
    members = with_account_state(
        Member.objects.active().filter(unit=unit).select_related("user").in_vietnamese_order()
    )
    now = timezone.now()
    return [(member, account_state(member, now)) for member in members]


def accounts(request: HttpRequest, code: str) -> HttpResponse:
    """Who can sign in: activated, waiting (code valid), code expired, no account yet."""
    unit = _cell_for_manager(request, code)
    rows = account_rows(unit)
    counts = dict.fromkeys((AccountState.ACTIVE, AccountState.PENDING), 0)
    counts |= {AccountState.EXPIRED: 0, AccountState.NONE: 0}
    for _member, state in rows:
        counts[state] += 1
    return render(
        request,
        "members/accounts.html",
        {"unit": unit, "rows": rows, "counts": counts, "total": len(rows), "State": AccountState},
    )


class CodesForm(forms.Form):
    DELIVERY = (
        ("slips", gettext_lazy("Print slips (PDF)")),
        ("send", gettext_lazy("Send by text message or e-mail where known")),
    )
    members = forms.TypedMultipleChoiceField(coerce=int, required=False)
    everyone = forms.BooleanField(required=False)
    delivery = forms.ChoiceField(choices=DELIVERY, initial="slips")

    def __init__(self, unit_members: list[Member], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit_members = {m.pk: m for m in unit_members}
        field = self.fields["members"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(m.pk, m.full_name) for m in unit_members]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("everyone") and not data.get("members"):
            raise ValidationError(_("Choose the members, or the whole cell."))
        return data

    def chosen(self) -> list[Member]:
        if self.cleaned_data.get("everyone"):
            return list(self.unit_members.values())
        return [self.unit_members[pk] for pk in self.cleaned_data["members"]]


def _send(request: HttpRequest, issued: list[IssuedCode]) -> tuple[int, list[str]]:
    """Send each code where the roster or the account gives a number or an address."""
    site = request.build_absolute_uri("/")
    sent, unreachable = 0, []
    for item in issued:
        member = item.member
        url = activation_url(site, item.printed)
        text = _("chibo: your activation code is %(code)s, valid until %(date)s. %(url)s") % {
            "code": item.printed,
            "date": timezone.localtime(item.expires_at).strftime("%d/%m/%Y"),
            "url": url,
        }
        email = member.user.email if member.user is not None else ""
        if member.phone:
            send_sms(member.phone, text)
            sent += 1
        elif email:
            send_mail(_("Your chibo account"), text, None, [email])
            sent += 1
        else:
            unreachable.append(member.full_name)
    return sent, unreachable


@require_POST
def account_codes(request: HttpRequest, code: str) -> HttpResponse:
    """Accounts for the chosen members who have none, a new code for those not yet
    activated; the codes as a PDF of slips, or sent."""
    unit = _cell_for_manager(request, code)
    unit_members = list(Member.objects.active().filter(unit=unit).in_vietnamese_order())
    form = CodesForm(unit_members, request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(e) for e in error))
        return redirect("members:accounts", unit.code)
    result = create_member_accounts(members=form.chosen(), by=actor(request))
    if not result.issued:
        messages.info(request, _("Every member chosen already has an activated account."))
        return redirect("members:accounts", unit.code)
    if form.cleaned_data["delivery"] == "send":
        sent, unreachable = _send(request, result.issued)
        messages.success(request, _("%(n)d codes sent.") % {"n": sent})
        if unreachable:
            messages.warning(
                request,
                _("No phone or e-mail for: %(names)s. Print their slips.")
                % {"names": ", ".join(unreachable)},
            )
        return redirect("members:accounts", unit.code)
    pdf = slips_pdf(slips_for(result.issued, site=request.build_absolute_uri("/")))
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name_download(response, file_name(f"Phiếu tài khoản {unit.name} {stamp}", "pdf"))
    return response


@require_POST
def account_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """A lost phone: every passkey and session of the member's account ends at once."""
    member = get_member_for_user(request.user, pk, action=Perm.MANAGE_MEMBERS)
    try:
        removed = revoke_member_access(member=member, by=actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s: %(n)d passkeys removed and every session ended. Issue a new code.")
            % {"name": member.full_name, "n": removed},
        )
    return redirect("members:accounts", member.unit.code)


class ActivationForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Activation code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


# The session key naming the account being set up with a code.
ACTIVATING = "chibo_activating"


def _address(request: HttpRequest) -> str:
    """The client's address as the login lockout (django-axes) reads it, so that a proxy
    set up for one is set up for both."""
    from axes.helpers import get_client_ip_address

    return str(get_client_ip_address(request) or "")


@login_not_required
def activate(request: HttpRequest) -> HttpResponse:
    """The page a slip's QR code opens: the code (filled in from the link) starts the
    account; then the member sets a passkey or a password."""
    form = ActivationForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            user = use_activation_code(code=form.cleaned_data["code"], address=_address(request))
        except ValidationError as error:
            form.add_error("code", error.messages)
        else:
            login(request, user, backend="chibo.orgs.backends.SessionUserBackend")
            # Only this session, just opened with the code, may set the first password.
            request.session[ACTIVATING] = user.pk
            return redirect("activate_setup")
    return render(request, "registration/activate.html", {"form": form})


def _activating(request: HttpRequest) -> User:
    """The user of a session opened with a code; anyone else gets 404 (a password is set
    here without the old one)."""
    if request.session.get(ACTIVATING) != request.user.pk:
        raise Http404
    return request.user  # type: ignore[return-value]


def activate_setup(request: HttpRequest) -> HttpResponse:
    """After the code: a passkey first, a password failing that."""
    user = _activating(request)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        set_account_password(user=user, password=form.cleaned_data["new_password1"])
        # The password changed: keep this session open (Django would end it).
        login(request, user, backend="chibo.orgs.backends.SessionUserBackend")
        request.session.pop(ACTIVATING, None)
        messages.success(request, _("Your password is set. Welcome."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "registration/activate_setup.html",
        {"form": form, "done_url": reverse("activate_done")},
    )


def activate_done(request: HttpRequest) -> HttpResponse:
    """Where the passkey registration lands: the activation is recorded once a passkey
    exists for the account."""
    from django_otp_webauthn.models import WebAuthnCredential  # type: ignore[import-untyped]

    from chibo.members.accounts import record_activation
    from chibo.members.models import AccountEventKind

    user = _activating(request)
    if WebAuthnCredential.objects.filter(user=user).exists():
        record_activation(user=user, how=AccountEventKind.PASSKEY_ADDED)
        request.session.pop(ACTIVATING, None)
        messages.success(request, _("Your passkey is set: use it to sign in next time."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return redirect("activate_setup")
