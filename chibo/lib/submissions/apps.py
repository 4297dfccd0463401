from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """The record of form submissions (chibo.lib.submissions): a small app of its own
    inside lib, so that lib itself stays plain helpers."""

    name = "chibo.lib.submissions"
    label = "submissions"
    verbose_name = "submissions"
