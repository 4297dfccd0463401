"""`chibo accounts create --unit CODE [--dry-run] [--as USER]`: accounts for every member of
the cells of a unit who has none, each with a one-time activation code (printed here: the
only time the code exists in clear)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chibo.members.accounts import create_member_accounts, format_code, username_for
from chibo.members.management.commands._common import resolve
from chibo.members.models import Member
from chibo.orgs.permissions import Perm


class Command(BaseCommand):
    help = "Create accounts, with activation codes, for the members of a unit's cells."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be done; change nothing."
        )
        parser.add_argument(
            "--reissue",
            action="store_true",
            help="Also give a new code to members whose account is not activated yet.",
        )
        parser.add_argument(
            "--as", dest="username", metavar="USERNAME", help="Act with this user's rights."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        _unit, user, cells = resolve(options["unit"], options["username"], Perm.MANAGE_MEMBERS)
        members = (
            Member.objects.active()
            .filter(unit__in=cells.order_by().values("pk"))
            .select_related("unit")
            .order_by("unit__path", "sort_key", "pk")
        )
        if options["dry_run"]:
            missing = [m for m in members if m.user_id is None]
            for member in missing:
                self.stdout.write(f"{member.unit.code}\t{member.full_name}\t{username_for(member)}")
            self.stdout.write(f"Would create {len(missing)} accounts (dry run: nothing changed).")
            return
        result = create_member_accounts(members=members, by=user, reissue=options["reissue"])
        for issued in result.issued:
            member = issued.member
            assert member.user is not None
            self.stdout.write(
                f"{member.unit.code}\t{member.full_name}\t{member.user.username}\t"
                f"{format_code(issued.code)}\t{issued.expires_at:%d/%m/%Y}"
            )
        self.stdout.write(
            f"Created {len(result.created)} accounts, reissued {len(result.reissued)} codes, "
            f"skipped {len(result.skipped)}."
        )
