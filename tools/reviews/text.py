"""Reading review text: accent-free tokens, a small es/en/fr sentiment lexicon with negation, keyword themes, PII.

Lexicon entries ending in `*` match any word starting with the stem; others match whole words. Phrases (several
words) match word sequences. Everything is compared without accents and in lower case.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cadencia.tools.reviews.models import Sentiment, Theme

POSITIVE = frozenset(
    {
        # en
        "love*", "beautiful", "great", "good", "nice", "lovely", "soft", "gentle", "favourite*", "favorite*",
        "compliment*", "lasts", "lasting", "works", "perfect", "amazing", "excellent", "recommend*", "happy",
        "smooth", "glow*",
        # es
        "encanta*", "precioso", "preciosa", "preciosos", "preciosas", "buen", "buena*", "bueno*", "bien", "suave*",
        "favorit*", "dura", "duran", "cumple*", "repetire", "bonit*", "perfect*", "recomiend*", "maravill*", "genial",
        # fr
        "adore*", "magnifique*", "bon", "bons", "bonne*", "doux", "douce*", "prefere*", "tient", "complimente*",
        "efficace*", "racheterai", "joli*", "parfait*", "recommande*", "super",
    }
)  # fmt: skip
NEGATIVE = frozenset(
    {
        # en
        "disappoint*", "late", "broken", "redness", "rash", "frustrat*", "fades", "fade", "pricey",
        "expensive", "subtle", "greasy", "sticky", "terrible", "awful", "bad", "worst", "leak*", "damaged",
        "out of stock", "a bit high", "too high", "does not last", "doesnt last",
        # es
        "decepcion*", "llego tarde", "llega tarde", "llegaron tarde", "muy tarde", "roto", "rota", "irrit*", "rojec*",
        "agotad*", "frustrant*", "desaparece*", "caro", "sutil", "grasos*", "pegajos*", "horrible", "malo", "mala",
        "peor", "algo alto", "muy alto",
        # fr
        "decu*", "retard*", "casse*", "rougeur*", "rupture", "disparait", "cher", "chere", "discret*", "gras",
        "grasse", "collant*", "nul", "nulle", "pire", "un peu eleve", "trop cher",
    }
)  # fmt: skip
NEGATORS = frozenset(
    {"no", "not", "never", "without", "nothing", "dont", "doesnt", "didnt", "isnt", "wasnt", "sin", "nunca", "ni",
     "ne", "n", "pas", "aucun", "aucune", "sans", "jamais"}
)  # fmt: skip
FRENCH_NE = frozenset({"ne", "n"})
FRENCH_NE_PARTNERS = frozenset({"pas", "jamais", "aucun", "aucune", "plus", "rien"})
NEGATION_WINDOW = 3
CLAUSE_BREAK = re.compile(r"[.!?;,:\n]+|\b(?:but|pero|aunque|mais)\b", re.IGNORECASE)

THEMES: dict[Theme, frozenset[str]] = {
    Theme.TEXTURE: frozenset({"textur*", "ligera", "legere", "greasy", "sticky", "grasos*", "pegajos*", "gras",
                              "grasse", "collant*", "creamy", "cremos*", "absorb*"}),
    Theme.SCENT: frozenset({"scent*", "smell*", "fragrance*", "perfume*", "parfum*", "aroma*", "olor*", "odeur*",
                            "fragancia*"}),
    Theme.LONGEVITY: frozenset({"lasts", "lasting", "last", "fades", "fade", "hours", "hour", "dura", "duran",
                                "horas", "hora", "desaparece*", "tient", "tenue", "heures", "heure", "disparait"}),
    Theme.EFFICACY: frozenset({"results", "works", "effect*", "promised", "resultado*", "efecto*", "cumple*",
                               "promete", "resultat*", "effet*", "efficace*", "promis"}),
    Theme.PACKAGING: frozenset({"packag*", "bottle*", "pump*", "envase*", "frasco*", "dosificador*", "flacon*",
                                "pompe*", "emballage*"}),
    Theme.DELIVERY: frozenset({"deliver*", "arrived", "shipping", "shipped", "late", "llego", "llega", "envio*",
                               "entrega*", "livre", "livree", "livraison*", "retard*", "colis"}),
    Theme.PRICE: frozenset({"price*", "pricey", "value", "expensive", "cheap*", "precio", "precios", "caro", "barat*",
                            "prix", "cher", "chere"}),
    Theme.IRRITATION: frozenset({"irritat*", "irrit*", "redness", "rash", "itch*", "rojec*", "picor*", "rougeur*",
                                 "sensitive", "sensible*", "allerg*"}),
    Theme.STOCK: frozenset({"out of stock", "restock*", "sold out", "agotad*", "reposicion*", "rupture",
                            "reassort*", "stock"}),
}  # fmt: skip

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{5,}\d(?!\w)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MIN_PHONE_DIGITS = 7


def normalize(text: str) -> str:
    """Lower case, accents removed, apostrophes and punctuation turned into spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"(\w)['’](t)\b", r"\1\2", plain)  # don't -> dont, so English negations stay one word
    return " ".join(re.findall(r"\w+", plain))


def tokens(text: str) -> list[str]:
    return normalize(text).split()


@dataclass(frozen=True)
class _Lexicon:
    words: frozenset[str]
    stems: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    heads: frozenset[str]

    @classmethod
    def of(cls, entries: frozenset[str]) -> _Lexicon:
        phrases = tuple(tuple(e.split()) for e in sorted(entries) if " " in e)
        stems = tuple(sorted(e[:-1] for e in entries if e.endswith("*") and " " not in e))
        words = frozenset(e for e in entries if not e.endswith("*") and " " not in e)
        return cls(words=words, stems=stems, phrases=phrases, heads=frozenset(p[0] for p in phrases))

    def word(self, token: str) -> bool:
        return token in self.words or token.startswith(self.stems)

    def phrase_at(self, toks: list[str], i: int) -> int:
        """Length of a phrase starting at toks[i], or 0."""
        if toks[i] not in self.heads:
            return 0
        for phrase in self.phrases:
            if tuple(toks[i : i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def hits(self, toks: list[str]) -> dict[int, int]:
        """Start position -> length of every entry (word or phrase) found, phrases first, non-overlapping."""
        found: dict[int, int] = {}
        i = 0
        while i < len(toks):
            span = self.phrase_at(toks, i) or (1 if self.word(toks[i]) else 0)
            if span:
                found[i] = span
            i += span or 1
        return found

    def pattern(self) -> re.Pattern[str]:
        """One regex matching any entry inside normalized text (faster than walking tokens)."""
        alternatives = [re.escape(w) for w in sorted(self.words)]
        alternatives += [re.escape(stem) + r"\w*" for stem in self.stems]
        alternatives += [re.escape(" ".join(p)) for p in self.phrases]
        return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_POSITIVE = _Lexicon.of(POSITIVE)
_NEGATIVE = _Lexicon.of(NEGATIVE)
_THEMES = {theme: _Lexicon.of(entries).pattern() for theme, entries in THEMES.items()}

METHOD = (
    "Sentiment: es/en/fr word lexicon, +1 per positive and -1 per negative word, polarity flipped when a negation "
    f"(no, not, sin, ne, aucune...) precedes it within {NEGATION_WINDOW} words; >0 positive, <0 negative, else "
    "neutral. Themes: multilingual keyword lists; a review counts once per theme."
)


def _clause_score(toks: list[str]) -> int:
    """+1/-1 per lexicon hit; a negation flips the next hit within the window (French ne...pas counts once)."""
    polarity = {i: (1, n) for i, n in _POSITIVE.hits(toks).items()}
    polarity |= {i: (-1, n) for i, n in _NEGATIVE.hits(toks).items()}
    score = 0
    armed_at: int | None = None
    ne_seen = False
    i = 0
    while i < len(toks):
        if i in polarity:
            value, span = polarity[i]
            if armed_at is not None and i - armed_at <= NEGATION_WINDOW:
                value = -value
            armed_at = None
            score += value
            i += span
            continue
        tok = toks[i]
        if tok in NEGATORS and not (ne_seen and tok in FRENCH_NE_PARTNERS):
            armed_at = i
            ne_seen = ne_seen or tok in FRENCH_NE
        i += 1
    return score


def sentiment_score(text: str) -> int:
    """Sum of clause scores; clauses end at punctuation and at contrastive words (but, pero, mais)."""
    return sum(_clause_score(tokens(clause)) for clause in CLAUSE_BREAK.split(text) if clause)


def sentiment(text: str) -> Sentiment:
    score = sentiment_score(text)
    if score > 0:
        return Sentiment.POSITIVE
    if score < 0:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


def themes(text: str) -> list[Theme]:
    plain = normalize(text)
    return [theme for theme, pattern in _THEMES.items() if pattern.search(plain)]


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in PHONE.finditer(text):
        candidate = match.group(0)
        if ISO_DATE.fullmatch(candidate.strip()):
            continue
        if sum(ch.isdigit() for ch in candidate) >= MIN_PHONE_DIGITS:
            spans.append(match.span())
    return spans


def find_pii(text: str) -> list[str]:
    """Kinds of personal data found in `text`: 'email', 'phone number'."""
    kinds = []
    if EMAIL.search(text):
        kinds.append("email")
    if _phone_spans(EMAIL.sub(" ", text)):
        kinds.append("phone number")
    return kinds


def mask_pii(text: str) -> tuple[str, bool]:
    """`text` with emails and phone numbers replaced by [email] / [phone]; and whether anything was masked."""
    masked = EMAIL.sub("[email]", text)
    spans = _phone_spans(masked)
    for start, end in reversed(spans):
        masked = masked[:start] + "[phone]" + masked[end:]
    return masked, masked != text
