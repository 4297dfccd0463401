"""`chibo api_token create --user NAME [--name TEXT] [--expires YYYY-MM-DD] [--read-only]`
prints a new token once; `chibo api_token list --user NAME`; `chibo api_token revoke PREFIX`."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.api import tokens
from chibo.api.models import ApiToken


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a token and print it (only once).")
        create.add_argument("--user", required=True, metavar="NAME")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument("--expires", metavar="YYYY-MM-DD")
        create.add_argument("--read-only", action="store_true")
        listing = actions.add_parser("list", help="A user's tokens, with their last use.")
        listing.add_argument("--user", required=True, metavar="NAME")
        revoke = actions.add_parser("revoke", help="Revoke the token that starts with PREFIX.")
        revoke.add_argument("prefix", help="The 8 characters after chibo_.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            prefix = options["prefix"].removeprefix(tokens.LEAD)[:8]
            token = ApiToken.objects.filter(prefix=prefix).first()
            if token is None:
                raise CommandError(f"No token starts with {prefix!r}.")
            tokens.revoke_token(token=token)
            self.stdout.write(f"Revoked {token.name} (chibo_{token.prefix}_…).")
            return
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['user']!r}.")
        if action == "list":
            for token in ApiToken.objects.filter(user=user):
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"chibo_{token.prefix}_…  {token.name}  {token.state}  "
                    f"{'read-only' if token.read_only else 'read-write'}  "
                    f"expires {token.expires_on or 'never'}  last used {used}"
                )
            return
        expires = None
        if options["expires"]:
            try:
                expires = datetime.date.fromisoformat(options["expires"])
            except ValueError as exc:
                raise CommandError("--expires: give a date as YYYY-MM-DD.") from exc
        try:
            _token, text = tokens.create_token(
                user=user,
                name=options["name"] or f"{user.get_username()} (command line)",
                expires_on=expires,
                read_only=options["read_only"],
            )
        except ValidationError as exc:
            field = next(iter(getattr(exc, "error_dict", {})), "")
            where = {"expires_on": "--expires: ", "name": "--name: "}.get(field, "")
            raise CommandError(where + " ".join(exc.messages)) from exc
        self.stdout.write(text)
