"""What an instruction in third-party text asks the agent to do: the capabilities it names, and exfiltration.

A capability is "asked about" when an action verb and one of the capability's objects appear close together
(in either order), or when the text names one of the capability's tools. Guardrails refuse irreversible actions
in a capability that suspicious text asks about, whatever the wording around it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from enum import StrEnum

from cadencia.tools.names import TOOL_NAMES, Ads, Crm, Inventory, Reviews, base_name


class Capability(StrEnum):
    MESSAGING = "messaging customers"
    PRICING = "prices, discounts or promotions"
    ADS = "ad budgets and campaigns"
    REVIEWS = "public review replies"
    PURCHASING = "purchase orders"
    CONTENT = "product pages"
    DATA = "customer data"


TOOLS: dict[Capability, frozenset[str]] = {
    Capability.MESSAGING: frozenset({Crm.SEND_NOW, Crm.SCHEDULE_SEND, Crm.DRAFT_MESSAGE, Reviews.REQUEST_REVIEWS}),
    Capability.PRICING: frozenset({Inventory.SET_PRICE, Inventory.SCHEDULE_PROMOTION}),
    Capability.ADS: frozenset(
        {Ads.SET_BUDGET, Ads.RESUME_CAMPAIGN, Ads.LAUNCH_CAMPAIGN, Ads.CREATE_CAMPAIGN, Ads.PAUSE_CAMPAIGN}
    ),
    Capability.REVIEWS: frozenset({Reviews.REPLY_TO_REVIEW}),
    Capability.PURCHASING: frozenset({Inventory.CONFIRM_PURCHASE_ORDER, Inventory.CREATE_PURCHASE_ORDER}),
    Capability.CONTENT: frozenset({Inventory.UPDATE_PRODUCT_CONTENT, Ads.CREATE_CREATIVE}),
    Capability.DATA: frozenset({Crm.SEND_NOW, Crm.SCHEDULE_SEND, Crm.DRAFT_MESSAGE}),
}
"""The tools that carry out each capability (combined-server names; bare names match through `base_name`)."""


def capabilities_of(tool: str) -> set[Capability]:
    """The capabilities a tool (combined or bare name) acts in."""
    bare = base_name(tool)
    return {cap for cap, tools in TOOLS.items() if tool in tools or bare in {base_name(t) for t in tools}}


def _strip(source: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", source) if not unicodedata.combining(c))


def _near(verbs: str, objects: str, *, words: int = 5) -> re.Pattern[str]:
    gap = rf"(?:\W+\w+){{0,{words}}}?\W+"
    latin = rf"\b(?:{verbs})\w*{gap}(?:\w+\W+)?(?:{objects})|\b(?:{objects})\w*{gap}(?:{verbs})"
    return re.compile(_strip(latin))


_SEND = (
    r"send|e-?mail|text|sms|message|blast|mail|notify|envi[ae]|mand[ae]|reenvi|envoie|envoyez|schick|sende|versch"
    r"|envie|invia|manda|inoltra|отправ|разошл|перешл"
)
_AUDIENCE = (
    r"customers?|contacts?|subscribers?|clients?|everyone|newsletter|sms|audience|clientes|contactos|suscriptor|abonnes"
    r"|kunden|abonnenten|kontakte|contatos|assinantes|clienti|iscritti|contatti|клиент|подписчик|всем"
)
_PRICE_VERB = (
    r"set|put|cut|drop|lower|reduce|slash|give|apply|schedule|create|offer|pon|baj|rebaj|aplic|program|agend|met"
    r"|baiss|appliqu|setz|senk|reduzier|gib|colo|baix|aplique|mett|abbass|porta|снизь|поставь|сделаи|дай"
)
_PRICE = (
    r"prices?|discount|% off|\d+\s?%|promotion|promo|coupon|code|sale|free|precio|descuento|promocion|cupon|codigo"
    r"|gratis|prix|remise|reduction|gratuit|preis|rabatt|gutschein|aktion|preco|desconto|promocao|cupom|prezzo"
    r"|sconto|promozione|codice|скидк|цен|акци"
)
_ADS_VERB = (
    r"raise|increase|set|double|pause|resume|launch|restart|stop|boost|max|sub[ei]|aument|pon|paus|reactiv|lanz"
    r"|augment|mets|relanc|lance|erhoh|setz|pausier|start|retom|lanc|mett|riattiv|lanci|увелич|постав|останов|запуст"
)
_ADS = (
    r"budgets?|campaigns?|ads|ad spend|bids?|presupuesto|campan|anuncios|campagne|publicite|kampagne|werbung"
    r"|tagesbudget|orcamento|campanha|annunci|бюджет|кампани|реклам"
)
_REPLY = (
    r"repl|respond|answer|publish|post|promise|respond|contest|publica|promet|repond|publie|antwort"
    r"|beantwort|versprech|responda|rispond|pubblic|ответ"
)
_REVIEW = r"reviews?|resenas?|avis|bewertung|avalia|recension|отзыв"
_PO_VERB = (
    r"confirm|validat|approv|double|triple|execut|run|valid|bestatig|verdoppl|conferm|raddopp|подтверд|выполн|удво"
)
_PO = (
    r"purchase orders?|draft orders?|drafts|pedidos de compra|borradores|commandes|brouillon|bestell"
    r"|ordens de compra|ordini|bozza|заказ|черновик"
)
_CONTENT_VERB = (
    r"rewrite|update|change|edit|publish|say|reescrib|actualiz|cambi|reecri|modifi|publi|schreib"
    r"|ander|aktualisier|reescrev|atualiz|riscriv|aggiorn"
)
_CONTENT = (
    r"product page|description|listing|page|ficha|descripcion|fiche|produktseite|beschreibung|pagina"
    r"|descricao|scheda|descrizione|описани"
)
_DATA_VERB = (
    r"send|forward|export|share|upload|post|append|include|paste|collect|leak|envi|reenvi|export|compart|anad|inclu"
    r"|envoi|transf|partag|ajout|coll|schick|leite|exportier|hang|encaminh|inclua|invia|inoltr|esport|aggiung|incoll"
    r"|отправ|перешл|выгруз|добав"
)
_DATA = (
    r"e-?mails?|phones?|phone numbers|address(?:es)?|contacts|customer (?:list|data|details)|subscriber|correos"
    r"|telefonos"
    r"|contactos|direcciones|datos|adresses|telephones|coordonnees|e-mail-adressen|telefonnummern|kontaktdaten"
    r"|telefones|contatos|enderecos|dados|telefoni|contatti|indirizzi|dati|почт|телефон|контакт|адрес"
)

ASKS: tuple[tuple[Capability, re.Pattern[str]], ...] = (
    (Capability.MESSAGING, _near(_SEND, _AUDIENCE)),
    (
        Capability.MESSAGING,
        re.compile(
            r"(?:给|向).{0,8}(?:客户|顾客|订阅者|所有人).{0,12}(?:发送|发)|(?:顾客|全員|全顧客).{0,12}(?:送って|送信)"
        ),
    ),
    (Capability.PRICING, _near(_PRICE_VERB, _PRICE)),
    (Capability.PRICING, re.compile(r"折|优惠|价格|割引|価格")),
    (Capability.ADS, _near(_ADS_VERB, _ADS)),
    (
        Capability.ADS,
        re.compile(r"(?:预算|广告).{0,12}(?:提高|调到|暂停|停止)|(?:キャンペーン|広告|予算).{0,12}(?:停止|上げ)"),
    ),
    (Capability.REVIEWS, _near(_REPLY, _REVIEW)),
    (Capability.PURCHASING, _near(_PO_VERB, _PO)),
    (Capability.CONTENT, _near(_CONTENT_VERB, _CONTENT)),
    (Capability.DATA, _near(_DATA_VERB, _DATA, words=9)),
    (
        Capability.DATA,
        re.compile(r"(?:邮箱|电话|联系人).{0,12}(?:发送|导出|转发)|(?:发送|导出|转发).{0,12}(?:邮箱|电话|联系人)"),
    ),
)

URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"']+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:example|com|net|org|io|co"
    r"|biz|info|xyz|ru|cn|de|fr|es|it|pt)(?:/[^\s<>()\"']*)?",
    re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
HANDLE = re.compile(r"(?<![\w.@/])@[A-Za-z0-9_.]{3,30}\b")
BEACON = re.compile(r"!\[[^\]]*\]\(\s*(?:https?:)?//[^)\s]+\?[^)\s]*\)", re.IGNORECASE)
OPEN_PARAMETER = re.compile(r"(?:https?://|www\.)\S+?[?&][\w-]+=(?:$|[\s&)]|[A-Z_{<\[]{4,})")


def asks_about(folded: str) -> set[Capability]:
    """Capabilities whose action the text asks for (verb near object, either order)."""
    return {cap for cap, pattern in ASKS if pattern.search(folded)}


def tool_mentions(folded: str, tool_names: Collection[str] = ()) -> list[str]:
    """Tool names (combined or bare, with an underscore) the text mentions."""
    names = {n.value for n in TOOL_NAMES} | set(tool_names)
    variants = {v for n in names for v in (n.lower(), base_name(n).lower()) if "_" in v}
    return sorted(v for v in variants if re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", folded))


def addresses(text: str) -> list[str]:
    """URLs, e-mail addresses and social handles in text (where data could be sent)."""
    found = [m.group(0).rstrip(".,;:!?") for m in (*URL.finditer(text), *EMAIL.finditer(text), *HANDLE.finditer(text))]
    return list(dict.fromkeys(found))
