"""The organisation tree and the role grants that scope every person's access to it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Count, Expression, Q
from django.db.models.lookups import StartsWith
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from chibo.orgs.permissions import Perm, Role, Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class VisitRule(models.TextChoices):
    """How the committee of a unit kind attends its cells' meetings (domain §7; docs/rules.md,
    PLAN-2): the yearly plan of `chibo plan_visits` follows the kind's rule."""

    NONE = "none", _("No attendance plan")
    PROVINCE_QUOTA = (
        "province_quota",
        _("Each committee member attends a set number of residential cells' meetings a year"),
    )
    DISTRICT_QUOTA = (
        "district_quota",
        _("Each committee member attends a set number of its cells' meetings a year"),
    )
    MONTHLY = "monthly", _("A committee member attends every one of its cells every month")


class UnitKind(models.Model):
    """A kind of party organisation (Tỉnh ủy, Đảng ủy xã, Chi bộ trực thuộc…), kept as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(
        _("level"), help_text=_("Smaller numbers stand higher in the tree.")
    )
    holds_meetings = models.BooleanField(
        _("is a party cell"),
        default=False,
        help_text=_("Units of this kind hold the monthly cell meetings."),
    )
    historic = models.BooleanField(
        _("historic"), default=False, help_text=_("No longer created (e.g. district level).")
    )
    visit_rule = models.CharField(
        _("attendance plan of its committee"),
        max_length=16,
        choices=VisitRule.choices,
        default=VisitRule.NONE,
    )

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("unit kind")
        verbose_name_plural = _("unit kinds")

    def __str__(self) -> str:
        return self.name


class CellType(models.TextChoices):
    VILLAGE = "village", _("Village / hamlet")
    RESIDENTIAL = "residential", _("Residential group")
    AGENCY = "agency", _("Agency")
    PUBLIC_SERVICE = "public_service", _("Public service unit")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    PRIVATE_ENTERPRISE = "private_enterprise", _("Non-state enterprise")
    MILITARY = "military", _("Military")
    POLICE = "police", _("Police")


class UnitQuerySet(MP_NodeQuerySet):  # type: ignore[misc]
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Perm = Perm.VIEW_UNIT
    ) -> UnitQuerySet:
        """Units over which `user` holds `action`: the access chokepoint for units."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action))

    def active(self, on: datetime.date | None = None) -> UnitQuerySet:
        on = on or timezone.localdate()
        return self.filter(
            Q(active_from__isnull=True) | Q(active_from__lte=on),
            Q(closed_on__isnull=True) | Q(closed_on__gt=on),
        )

    def cells(self) -> UnitQuerySet:
        return self.filter(kind__holds_meetings=True)


@dataclass
class UnitCounts:
    """Figures shown beside a unit in the tree: what lies below it."""

    units: int = 0
    cells: int = 0
    members: int = 0


class UnitManager(MP_NodeManager.from_queryset(UnitQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> UnitQuerySet:
        return UnitQuerySet(self.model).order_by("path")

    def subtree_counts(self, units: list[Unit]) -> dict[int, UnitCounts]:
        """Sub-units, cells and members below each of `units` (the unit itself counts
        as a cell if it is one, and its own members count).

        One query for all of `units`, whatever their number: each unit of the subtrees
        with its member count (through the member index), added up in Python under the
        listed unit whose path starts its own.
        """
        result = {unit.pk: UnitCounts() for unit in units}
        if not units:
            return result
        by_path = {unit.path: result[unit.pk] for unit in units}
        depths = sorted({unit.depth for unit in units})
        within = Q()
        for path in by_path:
            within |= Q(path__startswith=path)
        # The reverse relation "members" is defined by the members app.
        rows = (
            self.get_queryset()
            .filter(within)
            .order_by()
            # Members who left (transfer out, death, expulsion, removal) keep their records
            # but are no longer counted; "left" is the members app's status value.
            .annotate(member_count=Count("members", filter=~Q(members__status="left")))
            .values_list("path", "kind__holds_meetings", "member_count")
        )
        for path, is_cell, member_count in rows:
            for depth in depths:
                if depth * self.model.steplen > len(path):
                    break
                counts = by_path.get(path[: depth * self.model.steplen])
                if counts is None:
                    continue
                counts.units += 1
                counts.cells += int(is_cell)
                counts.members += member_count
        for counts in result.values():
            counts.units -= 1  # not the unit itself
        return result


class Unit(MP_Node):  # type: ignore[misc]
    """A party organisation: committee, basic organisation, cell or party group."""

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable identifier used in files and links; never reused."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.ForeignKey(
        UnitKind, on_delete=models.PROTECT, related_name="units", verbose_name=_("kind")
    )
    cell_type = models.CharField(
        _("cell type"), max_length=32, choices=CellType.choices, blank=True
    )
    is_rural = models.BooleanField(_("rural"), default=False)
    is_difficult_area = models.BooleanField(_("difficult area"), default=False)
    # On the list of weak cells now: kept by chibo.supervision's weak-cell records only.
    is_weak = models.BooleanField(_("weak cell"), default=False, editable=False)
    is_non_state_enterprise = models.BooleanField(_("in a non-state enterprise"), default=False)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason for closing"), max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )

    objects = UnitManager()
    history = HistoricalRecords(excluded_fields=["numchild"])

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(active_from__isnull=True)
                | Q(closed_on__gte=models.F("active_from")),
                name="unit_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:unit", args=[self.code])

    @property
    def is_cell(self) -> bool:
        return bool(self.kind.holds_meetings)

    def is_active(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        if self.active_from and self.active_from > on:
            return False
        return not (self.closed_on and self.closed_on <= on)

    def flags(self) -> list[Any]:
        """Labels of the flags the plan asks to follow, for display."""
        names = ["is_rural", "is_difficult_area", "is_weak", "is_non_state_enterprise"]
        return [self._meta.get_field(n).verbose_name for n in names if getattr(self, n)]


class SubtreeLookup(StartsWith):
    """`path__startswith` on PostgreSQL with the path written into the SQL rather than
    passed as a parameter. The database prepares the queries a connection repeats and may
    then plan them once for any parameter; a subtree's size is what decides the plan (a cell
    or the whole province), so it must be in the statement. Paths are written by the tree
    from its own alphabet; any other value (an expression, a string with other characters)
    keeps the parameter."""

    safe_path = re.compile(r"[0-9A-Z]{1,255}")

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if (
            connection.vendor == "postgresql"
            and isinstance(self.rhs, str)
            and self.safe_path.fullmatch(self.rhs)
        ):
            # Doubled: the SQL goes through the driver's parameter formatting.
            return f"'{self.rhs}%%'", []
        sql, params = super().process_rhs(compiler, connection)
        return sql, list(params)


Unit._meta.get_field("path").register_lookup(SubtreeLookup, lookup_name="startswith")


class RoleGrantQuerySet(models.QuerySet["RoleGrant"]):
    def active(self, on: datetime.date | Expression | None = None) -> RoleGrantQuerySet:
        """The grants valid on `on` (today; an expression, e.g. a statement's parameter)."""
        if on is None:
            on = timezone.localdate()
        return self.filter(
            Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on)
        )


class RoleGrant(models.Model):
    """A role held by a user over a unit (alone or with everything below it), for a period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RoleGrantQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="rolegrant_valid_period",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="rolegrant_role_known"),
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="rolegrant_scope_known"
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_from"], name="rolegrant_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"

    def covers(self, unit: Unit) -> bool:
        """Whether this grant reaches `unit`."""
        if self.scope == Scope.SUBTREE:
            return bool(unit.path.startswith(self.unit.path))
        return bool(unit.pk == self.unit_id)


class ProvinceHoliday(models.Model):
    """A day off a province adds to the national public holidays (the days the Prime
    Minister fixes each year around Tết and 2/9, a provincial anniversary): the year planner
    keeps meetings off it (docs/rules.md, HOLIDAY-2)."""

    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="extra_holidays",
        limit_choices_to={"depth": 1},
        verbose_name=_("province"),
    )
    on = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provincial day off")
        verbose_name_plural = _("provincial days off")
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "on"], name="province_holiday_once"),
        ]

    def __str__(self) -> str:
        return f"{self.on:%d/%m/%Y} {self.name}"

    @classmethod
    def days_of(cls, unit: Unit, year: int) -> dict[datetime.date, str]:
        """The extra days off of `unit`'s province (its root unit's list) in `year`."""
        root_path = unit.path[: unit.steplen]
        return dict(
            cls.objects.filter(unit__path=root_path, on__year=year).values_list("on", "name")
        )


class ProvinceSettings(models.Model):
    """Rules a province sets, kept as data with their documented defaults: the row of the
    province's root unit applies to its tree, from its effective date (before it, the
    version kept in the history that was then in force). Concrete settings add a `unit`
    one-to-one field, their fields and `history = HistoricalRecords()`."""

    effective_from = models.DateField(
        _("in force from"),
        null=True,
        blank=True,
        help_text=_("Meetings and years before this day keep the settings then in force."),
    )

    class Meta:
        abstract = True

    @classmethod
    def for_unit(cls, unit: Any, on: datetime.date | None = None) -> Self:
        """The settings of the unit's province in force on `on` (today when None), or the
        defaults. A change applies from its `effective_from`: before that day the version
        kept in the history that was then in force applies."""
        root_path = unit.path[: unit.steplen]
        manager: Any = cls._default_manager
        rules = manager.filter(unit__path=root_path).first()
        if rules is None:
            return cls(unit=unit)
        if on is None or rules.effective_from is None or rules.effective_from <= on:
            return rules
        earlier = (
            rules.history.filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on))
            .order_by("-history_date", "-history_id")
            .first()
        )
        return earlier.instance if earlier is not None else cls(unit=rules.unit)

    @classmethod
    def in_force(cls, unit: Any) -> Callable[[datetime.date], Self]:
        """`day -> the settings in force that day` for the unit's province: one query for
        the current settings, one more per earlier day asked for only when a change is
        recent (its effective date after the day)."""
        current = cls.for_unit(unit)
        kept: dict[datetime.date, Self] = {}

        def on(day: datetime.date) -> Self:  # type: ignore[type-var,misc]
            if current.pk is None or not current.effective_from or current.effective_from <= day:
                return current
            if day not in kept:
                kept[day] = cls.for_unit(unit, on=day)
            return kept[day]

        return on
