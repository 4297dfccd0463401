"""Idempotent creation: every form that creates a record carries a token of its own (a
hidden UUID, `SubmissionField`), and the service that creates the record runs once per
token (`@once_per_submission`). The same submission sent twice (a double click, a resent
request after a timeout, the back button) therefore creates one record, and the second
answer is the record the first one made.

The token is recorded (`Submission`, the model of this small app) inside the service's
transaction, before the record is made: of two requests carrying one token, the second
waits for the first on the token's unique key (PostgreSQL; on SQLite writers already run
one at a time) and then finds what it made. A submission refused (a ValidationError) rolls
back with its token, so the corrected form can be sent again. Tokens are random (UUID 4):
a token names no record and cannot be guessed."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django import forms
from django.apps import apps as registry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

P = ParamSpec("P")
R = TypeVar("R")

GONE = _("This form was already sent, and what it created has since been removed.")


class SubmissionField(forms.UUIDField):
    """The hidden field that carries a form's token; a new one each time the form is shown."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", uuid.uuid4)
        super().__init__(**kwargs)


class SubmittedOnce(forms.Form):
    """A form that creates a record: it carries its token (`submission`)."""

    submission = SubmissionField()


def once(token: uuid.UUID | None, create: Callable[[], R]) -> R:
    """`create()`, unless the submission `token` already ran: then the model instance it
    returned. Call inside the creating service's transaction."""
    from chibo.lib.submissions.models import Submission

    if token is None:
        return create()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("once() runs inside the service's transaction")
    try:
        with transaction.atomic():
            Submission.objects.create(token=token)
    except IntegrityError:
        earlier = Submission.objects.get(token=token)
        model = registry.get_model(earlier.model) if earlier.model else None
        found = model._default_manager.filter(pk=earlier.object_pk).first() if model else None
        if found is None:
            raise ValidationError(GONE, code="gone") from None
        return found  # type: ignore[no-any-return]
    made = create()
    if not isinstance(made, Model):
        raise TypeError("once() records the model instance that create() returns")
    Submission.objects.filter(token=token).update(
        model=made._meta.label_lower, object_pk=str(made.pk)
    )
    return made


def once_per_submission(func: Callable[P, R]) -> Callable[P, R]:
    """A creating service that takes `submission: uuid.UUID | None = None` (the form's
    token; the service itself ignores it) and runs once per token (`once`). Put it under
    `@transaction.atomic`, so that the token is recorded in the service's transaction."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = kwargs.get("submission")
        if token is not None and not isinstance(token, uuid.UUID):
            raise TypeError("submission is the form's UUID")
        return once(token, lambda: func(*args, **kwargs))

    return wrapper
