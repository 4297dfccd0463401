"""`chibo makemessages` without fuzzy matching.

Django's default lets msgmerge guess a translation for a new string from a similar old
one ("Secretary" from "Cell secretary") and mark it fuzzy; such guesses are wrong more
often than not here, so new strings start empty and the catalogue test lists them.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
