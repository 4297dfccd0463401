"""Accounts made from the roster, their one-time activation codes, and their recovery.

The services of member accounts (atomic, keyword-only, verb_noun), kept beside the
registry's own services: a secretary makes accounts for chosen members or a whole cell in
one action; each account gets a one-time code, printed on a slip or sent by text message,
with which the member sets up a passkey or a password. Codes are kept only as a keyed hash,
hold ACTIVATION_CODE_DAYS days, serve once, and wrong tries are counted per address.

Usernames are derived from the member record, predictably: the given name without
diacritics, the initials of the family and middle names, then the member's number in
chibo ("Nguyễn Văn An", member 1234 → `annv1234`); the number makes it unique and stable
whatever happens to the name later.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib import vntext
from chibo.members.models import (
    ACTIVE_STATUSES,
    AccountEvent,
    AccountEventKind,
    ActivationCode,
    Member,
    Post,
)
from chibo.members.services import give_member_grant, give_post_grant

# Letters and digits that cannot be mistaken for one another when read off paper
# (Crockford's base 32: no I, L, O, U): ten of them are 50 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def username_for(member: Member) -> str:
    """The member's username: given name, initials of the other names, member number."""
    initials = "".join(word[0] for word in vntext.fold(member.family_name).split() if word)
    initials += "".join(word[0] for word in vntext.fold(member.middle_name).split() if word)
    given = "".join(ch for ch in vntext.fold(member.given_name) if ch.isalnum()) or "dv"
    initials = "".join(ch for ch in initials if ch.isalnum())
    return f"{given}{initials}{member.pk}"


def new_code() -> str:
    """A fresh random code (50 bits from the system's secure source)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code as printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(text: str) -> str:
    """What a member typed, as the code: case, spaces and dashes do not matter, nor O for 0."""
    return "".join(ch for ch in text.upper() if ch.isalnum()).translate(_READ_AS)


def code_digest(code: str) -> str:
    """The keyed hash kept instead of the code (a copy of the database alone gives nothing)."""
    key = hashlib.sha256(b"chibo.activation:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued: the only moment its clear text exists."""

    member: Member
    code: str
    expires_at: datetime.datetime

    @property
    def printed(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True)
class AccountsResult:
    created: list[IssuedCode]
    reissued: list[IssuedCode]
    # Members passed over, with why (left the rolls, already active account).
    skipped: list[tuple[Member, str]]

    @property
    def issued(self) -> list[IssuedCode]:
        return [*self.created, *self.reissued]


@transaction.atomic
def issue_activation_code(*, member: Member, by: User | None) -> IssuedCode:
    """A new code for the member's account; any earlier code stops working (a reissue)."""
    if member.user_id is None:
        raise ValidationError(_("This member has no account yet."))
    now = timezone.now()
    ActivationCode.objects.filter(
        member=member, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    code = new_code()
    expires_at = now + datetime.timedelta(days=settings.ACTIVATION_CODE_DAYS)
    ActivationCode.objects.create(
        member=member,
        digest=code_digest(code),
        issued_at=now,
        issued_by=by,
        expires_at=expires_at,
    )
    AccountEvent.objects.create(member=member, kind=AccountEventKind.CODE_ISSUED, at=now, by=by)
    return IssuedCode(member=member, code=code, expires_at=expires_at)


@transaction.atomic
def create_member_accounts(
    *, members: Iterable[Member], by: User | None, reissue: bool = True
) -> AccountsResult:
    """Accounts for the members who have none, each with a code; a code anew for those
    whose account is not activated yet (when `reissue`). One account per member, ever: a
    transferred member keeps theirs. The account's grants follow the membership and the
    current posts, through the registry's own functions."""
    today = timezone.localdate()
    created: list[IssuedCode] = []
    reissued: list[IssuedCode] = []
    skipped: list[tuple[Member, str]] = []
    chosen = list(members)
    # Lock the members: two secretaries pressing at once must not make two accounts.
    locked = {
        m.pk: m
        for m in Member.objects.select_for_update()
        .filter(pk__in=[m.pk for m in chosen])
        .select_related("unit")
    }
    activated = set(
        Member.objects.filter(pk__in=list(locked))
        .filter(can_sign_in())
        .values_list("pk", flat=True)
    )
    posts: dict[int, list[Post]] = {}
    for post in Post.objects.filter(member__in=list(locked), started_on__lte=today).filter(
        grant__isnull=True
    ):
        if post.ended_on is None or post.ended_on > today:
            posts.setdefault(post.member_id, []).append(post)
    User = get_user_model()
    for member in sorted(locked.values(), key=lambda m: (m.sort_key, m.pk)):
        if member.status not in ACTIVE_STATUSES:
            skipped.append((member, _("no longer a member here")))
            continue
        if member.user_id is not None:
            if member.pk in activated:
                skipped.append((member, _("account already activated")))
            elif reissue:
                reissued.append(issue_activation_code(member=member, by=by))
            else:
                skipped.append((member, _("already has an account")))
            continue
        username = username_for(member)
        if User.objects.filter(username=username).exists():
            # Taken by hand before (the number makes this rare): mark the member's own.
            username = f"{username}dv"
        user = User(
            username=username,
            first_name=f"{member.family_name} {member.middle_name}".strip()[:150],
            last_name=member.given_name[:150],
        )
        user.set_unusable_password()
        user.save()
        member.user = user
        member.save(update_fields=["user"])
        give_member_grant(member=member, on=today)
        for post in posts.get(member.pk, []):
            give_post_grant(post=post, user_id=user.pk, on=today)
            post._history_user = by  # type: ignore[attr-defined]
            post.save(update_fields=["grant"])
        AccountEvent.objects.create(member=member, kind=AccountEventKind.CREATED, by=by)
        created.append(issue_activation_code(member=member, by=by))
    return AccountsResult(created=created, reissued=reissued, skipped=skipped)


def _failures_key(address: str) -> str:
    return f"activation-failures:{address}"


def failures_left(address: str) -> int:
    return max(0, settings.ACTIVATION_FAILURE_LIMIT - int(cache.get(_failures_key(address), 0)))


def _count_failure(address: str) -> None:
    key = _failures_key(address)
    window = settings.ACTIVATION_WINDOW_MINUTES * 60
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, window)


def find_activation_code(*, code: str, address: str) -> ActivationCode:
    """The usable code matching what was typed, or a ValidationError saying why not. Each
    refusal counts against the address; past the limit every try is refused for a while,
    right or wrong, so that codes cannot be guessed."""
    if failures_left(address) <= 0:
        raise ValidationError(
            _("Too many wrong codes from this connection: try again in an hour."),
            code="rate_limited",
        )
    typed = normalise_code(code)
    row = None
    if len(typed) == CODE_LENGTH:
        row = (
            ActivationCode.objects.select_related("member", "member__user", "member__unit")
            .filter(digest=code_digest(typed))
            .first()
        )
    now = timezone.now()
    problem = None
    if row is None:
        problem = ValidationError(
            _("This code is not valid. Check it against the slip."), code="unknown"
        )
    elif row.used_at is not None:
        problem = ValidationError(
            _("This code has already been used. Ask the cell secretary for a new one."),
            code="used",
        )
    elif row.withdrawn_at is not None:
        problem = ValidationError(
            _("This code has been replaced by a newer one. Use the latest slip or message."),
            code="withdrawn",
        )
    elif row.expires_at <= now:
        problem = ValidationError(
            _("This code expired on %(date)s. Ask the cell secretary for a new one.")
            % {"date": timezone.localtime(row.expires_at).strftime("%d/%m/%Y")},
            code="expired",
        )
    elif row.member.user is None or row.member.status not in ACTIVE_STATUSES:
        problem = ValidationError(
            _("This code is not valid. Check it against the slip."), code="unknown"
        )
    if problem is not None:
        _count_failure(address)
        raise problem
    assert row is not None
    return row


@transaction.atomic
def use_activation_code(*, code: str, address: str) -> User:
    """Spend the code: its account is the one to set up now (the caller logs it in)."""
    row = find_activation_code(code=code, address=address)
    # Only one of two simultaneous uses wins.
    spent = ActivationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise ValidationError(
            _("This code has already been used. Ask the cell secretary for a new one."),
            code="used",
        )
    user = row.member.user
    assert user is not None
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def record_activation(*, user: User, how: AccountEventKind = AccountEventKind.ACTIVATED) -> None:
    """The member has set a way to sign in (a password, a passkey)."""
    member = Member.objects.filter(user=user).first()
    if member is not None:
        AccountEvent.objects.create(member=member, kind=how, by=user)
        if (
            how != AccountEventKind.ACTIVATED
            and not member.account_events.filter(kind=AccountEventKind.ACTIVATED).exists()
        ):
            AccountEvent.objects.create(member=member, kind=AccountEventKind.ACTIVATED, by=user)


@transaction.atomic
def set_account_password(*, user: User, password: str) -> None:
    """The password chosen on activation (validated by the caller's form)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record_activation(user=user)


@transaction.atomic
def revoke_member_access(*, member: Member, by: User | None, note: str = "") -> int:
    """A lost phone: every passkey of the member's account is removed, the password made
    unusable, which ends every open session (Django checks the session against the
    password hash), and unused codes withdrawn. How many passkeys went. The secretary then
    issues a new code."""
    from django_otp_webauthn.models import WebAuthnCredential  # type: ignore[import-untyped]

    if member.user_id is None:
        raise ValidationError(_("This member has no account yet."))
    user = User.objects.get(pk=member.user_id)
    removed, _details = WebAuthnCredential.objects.filter(user=user).delete()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ActivationCode.objects.filter(
        member=member, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    AccountEvent.objects.create(member=member, kind=AccountEventKind.REVOKED, by=by, note=note)
    return int(removed)


class AccountState:
    NONE = "none"
    PENDING = "pending"
    EXPIRED = "expired"
    ACTIVE = "active"


def can_sign_in() -> Q:
    """Members whose account can sign in: a usable password or a passkey (what "activated"
    means for the lists and the dashboards; a revocation takes both away)."""
    from django_otp_webauthn.models import WebAuthnCredential

    passkey = WebAuthnCredential.objects.filter(user_id=OuterRef("user_id"))
    return Q(user__isnull=False) & (
        ~Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(Exists(passkey))
    )


def with_account_state(members: QuerySet[Member]) -> QuerySet[Member]:
    """The members annotated with what the "who is missing" views need, in the same query:
    `activated` and `code_expires_at` (of the latest code not used or withdrawn)."""
    latest = (
        ActivationCode.objects.filter(
            member=OuterRef("pk"), used_at__isnull=True, withdrawn_at__isnull=True
        )
        .order_by("-issued_at")
        .values("expires_at")[:1]
    )
    return members.annotate(
        activated=ExpressionWrapper(can_sign_in(), output_field=BooleanField()),
        code_expires_at=latest,
    )


def account_state(member: Member, now: datetime.datetime | None = None) -> str:
    """One member's state, from the annotations of `with_account_state`."""
    if member.user_id is None:
        return AccountState.NONE
    if getattr(member, "activated", False):
        return AccountState.ACTIVE
    expires = getattr(member, "code_expires_at", None)
    if expires is not None and expires > (now or timezone.now()):
        return AccountState.PENDING
    return AccountState.EXPIRED
