"""What a goal's own words ask beyond its typed fields: objects the operator leaves to someone else.

The objective is the operator's text (trusted, unlike tool data). A sentence that names object ids (`CMP-GO000`,
`ML-000012`, `SEG-VIP`…) and says to leave them alone, not to touch them, or that someone else manages them, puts
those ids out of the agent's reach. English, Spanish and French wordings; a sentence without such wording, or
without an id, adds nothing, so misreading can only make the agent do less, never more.
"""

from __future__ import annotations

import re
import unicodedata

OBJECT_ID = re.compile(r"\b[A-Z]{1,6}(?:-[A-Z0-9]+)+\b")
"""An object id as the servers print them: upper-case prefix, a dash, letters or digits."""
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
PEOPLE = r"(colleague|coworker|co-worker|person|human|team|agency|partner|manager|someone else|another client)"
HANDS_OFF = tuple(
    re.compile(p)
    for p in (
        # en
        r"\bleave (it|them|this|that|these|those|[a-z]+-[a-z0-9-]+)? ?"
        r"(alone|as (it|they) (is|are)|exactly|untouched|unchanged|to )",
        r"\b(do not|don't|dont|never|must not|mustn't|should not|shouldn't) "
        r"(touch|change|modify|edit|pause|adjust|alter|undo|revert)",
        r"\bhands[ -]off\b",
        rf"\b(managed|owned|run|handled|controlled) by (a|an|another|the|our|my|their) ([a-z]+ )?{PEOPLE}",
        # es
        r"\bno (toques|toqueis|toque|tocar|tocad|cambies|cambiar|modifiques|modificar|pauses|pausar|deshagas)\b",
        r"\bdeja(lo|la|los|las|r)? (tal|como esta|intact|sin tocar|en paz)",
        r"\b(gestionad|llevad|controlad)[oa]s? por (un|una|otro|otra|el|la|nuestr[oa]) "
        r"(companer|persona|equipo|agencia|colega)",
        # fr
        r"\bne (touche|touchez|toucher|modifie|modifiez|modifier|change|changez|changer|annule|annulez) "
        r"(pas|jamais|rien)",
        r"\blaisse[rz]? (le|la|les|l ?|ce|cette|ces)? ?\w* ?(tel|telle|tels|telles|en l etat|tranquille|intact)",
        r"\bgeree?s? par (un|une|le|la|l|notre|nos|des) ?(collegue|personne|equipe|agence|partenaire)",
    )
)  # fmt: skip


def _fold(text: str) -> str:
    """Lower case, accents and apostrophes folded, so patterns need one spelling."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("’", "'").split())


def hands_off_ids(objective: str) -> list[str]:
    """Ids the objective says to leave alone, in the order they appear (each once)."""
    found: list[str] = []
    for sentence in SENTENCE_END.split(objective):
        ids = OBJECT_ID.findall(sentence)
        if ids and any(p.search(_fold(sentence)) for p in HANDS_OFF):
            found += [i for i in ids if i not in found]
    return found
