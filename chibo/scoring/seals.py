"""Seals (chibo.lib.seal) of the final scores: a meeting score once the upper level has
confirmed it, an annual classification once the upper-level committee has decided it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from chibo.lib import seal
from chibo.meetings import seals as meeting_seals
from chibo.scoring.models import AnnualRating, MeetingScore, RatingAmendment, ScoreAmendment

Amendments = Sequence[ScoreAmendment | RatingAmendment]


def _amended(content: dict[str, Any], amendments: Amendments) -> dict[str, Any]:
    """The content with its amendments, in order; without any, the content alone (so that
    the seals made before amendments existed still match)."""
    if amendments:
        ordered = sorted(amendments, key=lambda a: (a.made_at, a.pk))
        content["amendments"] = [
            [a.before, a.after, a.reason, a.made_by_id, a.made_at] for a in ordered
        ]
    return content


def _latest(own: str, amendments: Amendments) -> str:
    """The seal the record must match now: its last amendment's, or its own."""
    sealed = [a for a in amendments if a.seal]
    return max(sealed, key=lambda a: (a.made_at, a.pk)).seal if sealed else own


def score_content(
    score: MeetingScore, amendments: list[ScoreAmendment] | None = None
) -> dict[str, Any]:
    """The confirmed score in a canonical form, with its amendments (read when not given)."""
    if amendments is None:
        amendments = list(score.amendments.all())
    return _amended(score_fields(score), amendments)


def score_fields(score: MeetingScore) -> dict[str, Any]:
    return {
        "meeting": score.meeting_id,
        "rubric": score.rubric_id,
        "cell": [score.cell_points, score.cell_total, score.cell_level],
        "members_vote": [score.members_for, score.members_against],
        "proposed": [score.proposed_by_id, score.proposed_at],
        "upper": [score.upper_points, score.upper_total, score.upper_level, score.upper_comment],
        "confirmed": [score.confirmed_by_id, score.confirmed_at],
    }


def rating_content(
    rating: AnnualRating, amendments: list[RatingAmendment] | None = None
) -> dict[str, Any]:
    """The decided classification in a canonical form, with its amendments (read when not
    given; none before the rating is saved)."""
    if amendments is None:
        amendments = list(rating.amendments.all()) if rating.pk else []
    return _amended(rating_fields(rating), amendments)


def rating_fields(rating: AnnualRating) -> dict[str, Any]:
    return {
        "year": rating.year,
        "unit": rating.unit_id,
        "member": rating.member_id,
        "facts": [rating.kem_criterion, rating.targets_percent, rating.disciplined],
        "self": [rating.self_level, rating.self_note, rating.self_by_id, rating.self_at],
        "verified": [
            rating.verified_level,
            rating.verified_note,
            rating.verified_by_id,
            rating.verified_at,
        ],
        "decided": [
            rating.decided_level,
            rating.decided_note,
            rating.decided_by_id,
            rating.decided_at,
        ],
    }


def score_status(score: MeetingScore | None) -> seal.Status | None:
    """None until the upper level confirms the score."""
    if score is None or score.confirmed_at is None:
        return None
    amendments = list(score.amendments.all())
    stored = _latest(score.seal, amendments)
    return seal.Status(stored, seal.digest(score_content(score, amendments)) if stored else None)


def rating_status(rating: AnnualRating | None) -> seal.Status | None:
    """None until the classification is decided."""
    if rating is None or not rating.decided_level:
        return None
    amendments = list(rating.amendments.all())
    stored = _latest(rating.seal, amendments)
    return seal.Status(stored, seal.digest(rating_content(rating, amendments)) if stored else None)


def audit_scores(
    scores: QuerySet[MeetingScore], *, seal_missing: bool = False
) -> meeting_seals.Audit:
    """Check the seal of every confirmed score among `scores`."""
    found = meeting_seals.Audit()
    confirmed = (
        scores.filter(confirmed_at__isnull=False)
        .select_related("meeting__unit")
        .prefetch_related("amendments")
    )
    for score in confirmed.order_by("pk").iterator(chunk_size=2000):
        amendments = list(score.amendments.all())
        value = seal.digest(score_content(score, amendments))
        stored = _latest(score.seal, amendments)
        if not stored:
            if seal_missing:
                MeetingScore.objects.filter(pk=score.pk).update(seal=value)
                found.sealed_now += 1
            else:
                found.unsealed += 1
        elif value == stored:
            found.intact += 1
        else:
            found.broken.append(f"{score.meeting.unit.code} {score.meeting.get_absolute_url()}")
    return found


def audit_ratings(
    ratings: QuerySet[AnnualRating], *, seal_missing: bool = False
) -> meeting_seals.Audit:
    """Check the seal of every decided classification among `ratings`."""
    found = meeting_seals.Audit()
    decided = (
        ratings.exclude(decided_level="").select_related("unit").prefetch_related("amendments")
    )
    for rating in decided.order_by("pk").iterator(chunk_size=2000):
        amendments = list(rating.amendments.all())
        value = seal.digest(rating_content(rating, amendments))
        stored = _latest(rating.seal, amendments)
        if not stored:
            if seal_missing:
                AnnualRating.objects.filter(pk=rating.pk).update(seal=value)
                found.sealed_now += 1
            else:
                found.unsealed += 1
        elif value == stored:
            found.intact += 1
        else:
            who = f"member {rating.member_id}" if rating.member_id else "cell"
            found.broken.append(f"{rating.unit.code} {rating.year} {who}")
    return found
