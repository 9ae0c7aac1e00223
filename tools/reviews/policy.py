"""What a public reply to a review may say: bounded length, no personal data, no incentives, no review manipulation.

Patterns are matched on accent-free lower-case text (see `text.normalize`) in English, Spanish and French.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cadencia.tools.errors import InvalidArgument, NotFound, PolicyViolation
from cadencia.tools.reviews.text import find_pii, normalize

REPLY_MIN_CHARS = 10
REPLY_MAX_CHARS = 1500
MAX_REPLY_CLAIMS = 10

_FREE_ITEM = r"(product|gift|sample|item|bottle|full size|refill|unit|jar)s?"
INCENTIVES = tuple(
    re.compile(p)
    for p in (
        # en
        r"\bdiscount", r"\bcoupon", r"\bvoucher", r"\bpromo(tional)? code", r"\bgift card", r"\bstore credit",
        r"\b\d+ (percent |pct )?off\b", rf"\bfree {_FREE_ITEM}\b", r"\bfor free\b", r"\bcomplimentary\b",
        rf"\b{_FREE_ITEM} (on us|for free)\b", r"\b(use|enter|apply|with) (the |my |our |this )?code\b",
        # es
        r"\bdescuento", r"\bcupon", r"\bcodigo (de )?(descuento|promo)", r"\btarjeta regalo",
        r"\bregal(o|os|amos|arte|arle)\b", r"\b(producto|muestra|unidad|frasco|articulo)s? (gratis|gratuit)",
        r"\b(sin|a) (coste|costo|cargo) (alguno|para (ti|usted))", r"\b(usa|usar|utiliza|con) (el|este) codigo\b",
        # fr
        r"\breduction", r"\bremise\b", r"\bcode promo", r"\bbon d achat", r"\bcarte cadeau", r"\bcadeau",
        r"\b(produit|echantillon|flacon|article)s? (gratuit|offert)", r"\bgratuitement\b",
        r"\b(utilisez|utiliser|avec|entrez) (le|ce) code\b",
    )
)  # fmt: skip
REVIEW_MANIPULATION = tuple(
    re.compile(p)
    for p in (
        # en
        r"\b(change|update|edit|remove|delete|revise|amend|take down|withdraw|raise|increase|upgrade|bump up)"
        r" (your|the|this|that) (review|rating|stars|comment|feedback)",
        r"\b(more|extra|higher|better) (stars?|rating)\b",
        # es
        r"\b(cambi|modific|actualic|actualiz|elimin|borr|retir|edit|sub)\w* (tu|su|la|esta|esa) "
        r"(resena|valoracion|opinion|puntuacion|calificacion|comentario)",
        r"\b(mas|mejor) (estrellas|puntuacion|valoracion)\b",
        # fr
        r"\b(modifi|chang|supprim|retir|mettre a jour|mettez a jour|edit|remont)\w* (votre|ton|l|cet|cette|la) "
        r"(avis|note|commentaire|evaluation)",
        r"\b(plus d|meilleure?) (etoiles|note)\b",
    )
)  # fmt: skip


def violation(rule: str, message: str, *, field: str) -> PolicyViolation:
    """A PolicyViolation whose text names the rule, so the model reading the tool error sees it."""
    return PolicyViolation(f"rule {rule}: {message}", field=field, rule=rule)


def check_reply_body(body: str) -> None:
    """Refuse a reply body that breaks a rule; the error names the rule and says how to fix it."""
    text = body.strip()
    if not REPLY_MIN_CHARS <= len(text) <= REPLY_MAX_CHARS:
        raise InvalidArgument(
            f"rule reply_length: reply body must be {REPLY_MIN_CHARS}-{REPLY_MAX_CHARS} characters (got {len(text)})",
            field="body",
            rule="reply_length",
        )
    pii = find_pii(text)
    if pii:
        raise violation(
            "no_pii",
            f"a public reply may not contain personal data (found: {', '.join(pii)}); remove it and invite the "
            "customer to contact customer service through the usual channels instead",
            field="body",
        )
    plain = normalize(text)
    incentive = next((m.group(0) for p in INCENTIVES if (m := p.search(plain))), None)
    if incentive:
        raise violation(
            "no_incentives",
            f"a public reply may not offer incentives (found {incentive!r}): discounts, codes, free products or "
            "gifts in answer to a review are forbidden; offer remedies privately through customer service",
            field="body",
        )
    manipulation = next((m.group(0) for p in REVIEW_MANIPULATION if (m := p.search(plain))), None)
    if manipulation:
        raise violation(
            "no_review_manipulation",
            f"a reply may not ask the customer to change, remove or upgrade their review (found {manipulation!r}); "
            "answer the substance of the review instead",
            field="body",
        )


def check_reply_claims(
    body: str, claim_ids: Sequence[str], sku: str, claims_by_id: Mapping[str, Mapping[str, Any]]
) -> None:
    """Claims cited must exist, be approved and cover the SKU; the body may not quote an unapproved claim."""
    if len(claim_ids) > MAX_REPLY_CLAIMS:
        raise InvalidArgument(f"at most {MAX_REPLY_CLAIMS} claim_ids per reply", field="claim_ids")
    if len(set(claim_ids)) != len(claim_ids):
        raise InvalidArgument("claim_ids contains duplicates; list each claim once", field="claim_ids")
    missing = [c for c in claim_ids if c not in claims_by_id]
    if missing:
        raise NotFound(f"No claim {', '.join(map(repr, missing))}; call list_claims", field="claim_ids")
    for claim_id in claim_ids:
        claim = claims_by_id[claim_id]
        if not claim["approved"]:
            raise violation(
                "approved_claims_only",
                f"claim {claim_id} ({claim['text']!r}) is not approved; use only approved claims (list_claims)",
                field="claim_ids",
            )
        skus = json.loads(claim["skus"] or "[]")
        if skus and sku not in skus:
            raise violation(
                "claim_scope",
                f"claim {claim_id} is approved only for {', '.join(skus)}, not {sku}",
                field="claim_ids",
            )
    plain = f" {normalize(body)} "
    for claim_id, claim in claims_by_id.items():
        if not claim["approved"] and f" {normalize(claim['text'])} " in plain:
            raise violation(
                "approved_claims_only",
                f"the reply states the unapproved claim {claim_id} ({claim['text']!r}); remove it",
                field="body",
            )
