from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that gather links to every app (the home page, the unit page, the menu):
    above all other apps, so that no lower app's template links upward."""

    name = "chibo.portal"
    label = "portal"
