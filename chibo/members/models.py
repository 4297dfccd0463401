"""Party member records (the full registry grows from this minimal record)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.lib import vntext
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    OFFICIAL = "official", _("Official")
    PROBATIONARY = "probationary", _("Probationary")


class MemberQuerySet(models.QuerySet["Member"]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, perm: Perm = Perm.VIEW_MEMBERS
    ) -> MemberQuerySet:
        """Members whose unit `user` holds `perm` over: the access chokepoint for members."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, perm, through="unit__"))

    def in_vietnamese_order(self) -> MemberQuerySet:
        return self.order_by("sort_key", "pk")


class Member(models.Model):
    """A party member, attached to the party organisation where they hold activity."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("party unit")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("user account"),
    )
    full_name = models.CharField(_("full name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=40, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=80, blank=True)
    given_name = models.CharField(_("given name"), max_length=40)
    sort_key = models.CharField(max_length=400, editable=False, db_index=True)
    search_name = models.CharField(max_length=120, editable=False, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    card_number = models.CharField(
        _("party card number"), max_length=20, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.OFFICIAL
    )
    admitted_on = models.DateField(_("date of admission"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values), name="member_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("members:member", args=[self.pk])

    def set_name(self, full_name: str) -> None:
        """Set the name and the fields derived from it (parts, sort key, search text)."""
        parts = vntext.split_name(full_name)
        self.full_name = parts.full
        self.family_name, self.middle_name, self.given_name = (
            parts.family,
            parts.middle,
            parts.given,
        )
        self.sort_key = vntext.collation_key(parts.given, parts.middle, parts.family)
        self.search_name = vntext.fold(parts.full)
