from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The to-do list gathered from every app's `todo.py`, and what tells people of it: in-app
    notifications, the daily e-mail digest and Web Push. Below the portal (whose to-do page
    and badge read the collector here), above every app that provides items."""

    name = "chibo.notifications"
    label = "notifications"
