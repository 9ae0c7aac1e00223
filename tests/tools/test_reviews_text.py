"""Review text analysis (sentiment, themes, PII) and the public-reply policy, as pure functions."""

from __future__ import annotations

import pytest

from cadencia.tools.errors import InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.reviews import text
from cadencia.tools.reviews.models import Sentiment, Theme
from cadencia.tools.reviews.policy import check_reply_body, check_reply_claims
from cadencia.tools.seed.words import REVIEW_TEXT

MOOD = {"good": Sentiment.POSITIVE, "mixed": Sentiment.NEUTRAL, "bad": Sentiment.NEGATIVE}
SEED_TEXTS = [
    (lang, mood, f"{title}. {body}")
    for lang, moods in REVIEW_TEXT.items()
    for mood, items in moods.items()
    for title, body in items
]


@pytest.mark.parametrize(("lang", "mood", "content"), SEED_TEXTS)
def test_sentiment_matches_the_mood_of_every_seed_review_text(lang: str, mood: str, content: str) -> None:
    assert text.sentiment(content) is MOOD[mood], (lang, content)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Gentle on sensitive skin, no irritation at all.", Sentiment.POSITIVE),
        ("Suave con la piel sensible, sin irritación.", Sentiment.POSITIVE),
        ("Doux pour les peaux sensibles, aucune irritation.", Sentiment.POSITIVE),
        ("No me gusta, no dura nada.", Sentiment.NEGATIVE),
        ("Ne tient pas. Le parfum disparaît au bout d'une heure.", Sentiment.NEGATIVE),
        ("It's not bad at all", Sentiment.POSITIVE),
        ("The bottle is blue.", Sentiment.NEUTRAL),
    ],
)
def test_negation_flips_the_next_sentiment_word_within_the_clause(content: str, expected: Sentiment) -> None:
    assert text.sentiment(content) is expected


def test_themes_are_found_in_all_three_languages() -> None:
    assert text.themes("Arrived late and the pump was broken.") == [Theme.PACKAGING, Theme.DELIVERY]
    assert text.themes("Llegó tarde y el dosificador estaba roto.") == [Theme.PACKAGING, Theme.DELIVERY]
    assert text.themes("Livré en retard et la pompe était cassée.") == [Theme.PACKAGING, Theme.DELIVERY]
    assert text.themes("Otra vez agotado") == [Theme.STOCK]
    assert text.themes("Aroma precioso") == [Theme.SCENT]


def test_pii_is_masked_but_dates_and_small_numbers_are_not() -> None:
    masked, changed = text.mask_pii("Call +34 612 345 678 or write to ana.g@example.com")
    assert changed
    assert masked == "Call [phone] or write to [email]"
    assert text.mask_pii("Bought on 2026-03-02, 30-day returns, 50 ml") == (
        "Bought on 2026-03-02, 30-day returns, 50 ml",
        False,
    )
    assert text.find_pii("mail me: x@y.com, 0612345678") == ["email", "phone number"]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("Please email us at care@maisonlysa.example and we will help.", "no_pii"),
        ("Call us on +33 6 12 34 56 78 so we can sort it out.", "no_pii"),
        ("Here is a 20% discount for your next order!", "no_incentives"),
        ("We would love to send you a free product to try again.", "no_incentives"),
        ("Te regalamos un producto gratis para compensarte.", "no_incentives"),
        ("Nous vous offrons un code promo pour votre prochaine commande.", "no_incentives"),
        ("So sorry! Use code SORRY for your next order.", "no_incentives"),
        ("Lo sentimos, usa el código PERDON en tu próximo pedido.", "no_incentives"),
        ("We are sorry. Could you update your review once it is solved?", "no_review_manipulation"),
        ("Lo sentimos, ¿podrías cambiar tu reseña cuando llegue?", "no_review_manipulation"),
        ("Pourriez-vous modifier votre avis après l'échange ?", "no_review_manipulation"),
    ],
)
def test_reply_policy_names_the_rule_that_refused(body: str, rule: str) -> None:
    with pytest.raises(PolicyViolation) as caught:
        check_reply_body(body)
    assert caught.value.rule == rule
    assert caught.value.field == "body"


@pytest.mark.parametrize(
    "body",
    [
        "Thank you for the five stars, we are delighted you love the texture!",
        "We are sorry the pump arrived broken; our care team will contact you to arrange a replacement.",
        "Gracias por tu opinión, nos alegra que el aroma te dure todo el día.",
        "Merci pour votre avis ! Le flacon est en verre recyclable.",
    ],
)
def test_ordinary_replies_pass_the_policy(body: str) -> None:
    check_reply_body(body)


def test_reply_length_is_bounded() -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_reply_body("   Thanks   ")
    assert caught.value.rule == "reply_length"
    with pytest.raises(InvalidArgument):
        check_reply_body("x" * 1501)


LIBRARY = {
    "CL-DERM": {"id": "CL-DERM", "text": "Dermatologically tested", "approved": True, "skus": "[]"},
    "CL-ONLY": {"id": "CL-ONLY", "text": "Night repair", "approved": True, "skus": '["ML-000009"]'},
    "CL-WRINKLE": {
        "id": "CL-WRINKLE",
        "text": "Clinically proven to erase wrinkles",
        "approved": False,
        "skus": "[]",
    },
}


def test_reply_claims_must_exist_be_approved_cover_the_sku_and_not_be_quoted_when_unapproved() -> None:
    check_reply_claims("It is dermatologically tested.", ["CL-DERM"], "ML-000001", LIBRARY)
    with pytest.raises(NotFound):
        check_reply_claims("Thanks a lot!", ["CL-NOPE"], "ML-000001", LIBRARY)
    with pytest.raises(PolicyViolation) as unapproved:
        check_reply_claims("Thanks a lot!", ["CL-WRINKLE"], "ML-000001", LIBRARY)
    assert unapproved.value.rule == "approved_claims_only"
    with pytest.raises(PolicyViolation) as scope:
        check_reply_claims("Thanks a lot!", ["CL-ONLY"], "ML-000001", LIBRARY)
    assert scope.value.rule == "claim_scope"
    with pytest.raises(PolicyViolation) as quoted:
        check_reply_claims("Our serum is clinically proven to erase wrinkles!", [], "ML-000001", LIBRARY)
    assert quoted.value.rule == "approved_claims_only"
    with pytest.raises(InvalidArgument):
        check_reply_claims("Thanks a lot!", ["CL-DERM", "CL-DERM"], "ML-000001", LIBRARY)
