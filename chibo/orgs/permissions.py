"""The permission vocabulary, defined once: roles, scopes and what each role may do.

The change history of a record is shown to whoever may see the record.

A role grant (models.RoleGrant) ties a user to a unit with one of these roles, over the
unit alone or the unit and everything below it. Every access decision in the product is
"does the user hold a grant whose role carries this permission over this unit?", asked
through `chibo.orgs.access`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MEMBER = "member", _("Party member")
    SECRETARY = "secretary", _("Cell secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy cell secretary")
    CELL_COMMITTEE = "cell_committee", _("Cell committee member")
    UPPER_COMMITTEE = "upper_committee", _("Upper-level committee member")
    WORKING_GROUP = "working_group", _("Working group member")
    ORG_COMMISSION = "org_commission", _("Organisation commission staff")
    INSPECTION = "inspection", _("Inspection commission staff")
    PROPAGANDA = "propaganda", _("Propaganda commission staff")
    STANDING_READER = "standing_reader", _("Standing committee (reader)")
    ADMINISTRATOR = "administrator", _("Administrator")


class Scope(models.TextChoices):
    UNIT = "unit", _("This unit only")
    SUBTREE = "subtree", _("This unit and below")


class Perm(models.TextChoices):
    VIEW_UNIT = "unit.view", _("See the unit and its figures")
    MANAGE_UNITS = "unit.manage", _("Create, move, close and merge units")
    VIEW_MEMBERS = "member.view", _("See the members of the unit")
    MANAGE_MEMBERS = "member.manage", _("Add and change member records")
    MANAGE_GRANTS = "grant.manage", _("Grant and revoke roles")
    VIEW_MEETINGS = "meeting.view", _("See the cell's meetings, minutes and tasks")
    MANAGE_MEETINGS = "meeting.manage", _("Plan meetings and record attendance and minutes")
    CONFIRM_SCORES = "score.confirm", _("Confirm or adjust meeting scores as the upper level")
    ASSESS = "rating.assess", _("Enter the annual self-assessment of the cell and its members")
    VERIFY_RATINGS = "rating.verify", _("Verify annual classifications as the advisory body")
    DECIDE_RATINGS = "rating.decide", _("Decide annual classifications")
    MANAGE_RULES = "rules.manage", _("Set the province's scoring rules and rubric versions")
    VIEW_SUPERVISION = "supervision.view", _("See visit plans, working groups and observations")
    MANAGE_SUPERVISION = "supervision.manage", _("Set up working groups and plan visits")
    PUBLISH_MATERIALS = (
        "content.publish",
        _("Publish meeting materials, internal information and thematic orientation"),
    )
    MANAGE_INSPECTION = (
        "inspection.manage",
        _("Run the inspection and supervision programme: findings, corrections, discipline"),
    )
    SEND_REQUESTS = (
        "directive.send",
        _("Send requests to the units below and review their answers"),
    )
    ANSWER_REQUESTS = "directive.answer", _("Answer the requests sent to the unit")


_READ = frozenset({Perm.VIEW_UNIT, Perm.VIEW_MEMBERS, Perm.VIEW_MEETINGS})
_CELL_LEADER = _READ | {Perm.MANAGE_MEMBERS, Perm.MANAGE_MEETINGS, Perm.ASSESS}
_STAFF = _READ | {Perm.VIEW_SUPERVISION}
# Requests go down and answers come up between the staff of two units (chibo.directives):
# a grant on the unit itself sends or answers for it.
_REQUESTS = frozenset({Perm.SEND_REQUESTS, Perm.ANSWER_REQUESTS})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.MEMBER: _READ,
    Role.SECRETARY: _CELL_LEADER | {Perm.ANSWER_REQUESTS},
    Role.DEPUTY_SECRETARY: _CELL_LEADER | {Perm.ANSWER_REQUESTS},
    Role.CELL_COMMITTEE: _READ | {Perm.MANAGE_MEETINGS},
    Role.UPPER_COMMITTEE: _STAFF
    | {Perm.CONFIRM_SCORES, Perm.VERIFY_RATINGS, Perm.DECIDE_RATINGS, Perm.MANAGE_INSPECTION}
    | _REQUESTS,
    Role.WORKING_GROUP: _STAFF | {Perm.CONFIRM_SCORES},
    Role.ORG_COMMISSION: _STAFF
    | {
        Perm.MANAGE_UNITS,
        Perm.MANAGE_MEMBERS,
        Perm.MANAGE_GRANTS,
        Perm.VERIFY_RATINGS,
        Perm.MANAGE_RULES,
        Perm.MANAGE_SUPERVISION,
    }
    | _REQUESTS,
    Role.INSPECTION: _STAFF | {Perm.MANAGE_INSPECTION},
    Role.PROPAGANDA: frozenset({Perm.VIEW_UNIT, Perm.PUBLISH_MATERIALS}),
    Role.STANDING_READER: _STAFF,
    Role.ADMINISTRATOR: frozenset(Perm),
}
