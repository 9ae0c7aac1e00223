"""What injected instructions say, by kind, in en/es/fr/de/pt/it/ru/zh/ja/ar: regexes over `fold`ed text.

Each kind is a *shape* of an instruction aimed at an agent (an override of its rules, a claim of authority, a
request to keep a secret…), written as alternations of the words each language uses for it; a match is a signal
whose weight says how rarely genuine customer or staff text has that shape. Patterns are folded like the text
(no accents) when compiled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

W = r"(?:\W+\w+){0,6}?\W+"
"""Up to six words in between."""
CJK = r".{0,12}?"


def _any(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


OVERRIDE_VERBS = _any(
    r"ignore",
    r"ignoring",
    r"disregard",
    r"forget",
    r"override",
    r"bypass",
    r"skip",
    r"discard",
    r"set aside",
    r"(?:do not|don'?t|stop|no longer) (?:follow|obey|respect|apply)(?:ing)?",
    r"ignora\w*",
    r"ignore[nsz]?",
    r"olvid[ae]\w*",
    r"omit[ae]\w*",
    r"descart[ae]\w*",
    r"deja(?:d)? (?:de|a un) lado",
    r"no (?:hagas|hagan|haga) caso (?:a|de)",
    r"no sigas",
    r"oubli\w*",
    r"ne (?:tiens|tenez) (?:plus|pas) compte",
    r"passe(?:z)? outre",
    r"ne (?:suis|suivez|respecte|respectez) plus",
    r"ignorier\w*",
    r"vergiss",
    r"vergessen",
    r"missacht\w*",
    r"uberg\w+",
    r"befolge \w+ nicht",
    r"esque[cç]\w*",
    r"desconsider\w*",
    r"deixe de lado",
    r"nao (?:siga|sigas|obede[cç]a)",
    r"dimentic\w*",
    r"trascur\w*",
    r"non (?:seguire|segui|rispettare) piu",
    r"lascia perdere",
    r"игнорир\w*",
    r"забуд\w*",
    r"не обращаи внимания на",
    r"не следуи",
    r"تجاهل",
    r"انس",
)
INSTRUCTION_NOUNS = _any(
    r"instructions?",
    r"rules?",
    r"guidelines?",
    r"guidance",
    r"prompts?",
    r"directives?",
    r"orders",
    r"policies",
    r"constraints",
    r"restrictions",
    r"limits",
    r"programming",
    r"commands?",
    r"settings",
    r"safeguards",
    r"everything (?:you were told|above|before|said before)",
    r"what you were told",
    r"instrucci\w+",
    r"reglas?",
    r"normas?",
    r"indicaciones",
    r"ordenes",
    r"directrices",
    r"consignas?",
    r"restricciones",
    r"limites",
    r"todo lo anterior",
    r"lo que te (?:dijeron|han dicho)",
    r"regles?",
    r"consignes?",
    r"ordres",
    r"tout ce qui precede",
    r"anweisung\w*",
    r"regeln",
    r"vorgaben",
    r"richtlinien",
    r"befehle",
    r"anordnungen",
    r"einschrankungen",
    r"instruc[oõ]\w*",
    r"regras?",
    r"orienta[cç]\w*",
    r"diretrizes",
    r"ordens",
    r"restri[cç]\w*",
    r"istruzion\w*",
    r"regole",
    r"direttive",
    r"инструкц\w*",
    r"правил\w*",
    r"указани\w*",
    r"ограничени\w*",
    r"التعليمات",
    r"القواعد",
    r"الاوامر",
)
OVERRIDE_NOUN_FIRST_VERBS = _any(
    r"no longer apply",
    r"(?:are|is) (?:void|lifted|suspended|cancell?ed|revoked|obsolete)",
    r"ya no (?:aplican|valen|rigen)",
    r"quedan (?:anuladas|suspendidas)",
    r"ne s'appliquent plus",
    r"sont (?:annulees|levees|suspendues)",
    r"(?:sind|ist) aufgehoben",
    r"gelten nicht mehr",
    r"nao valem mais",
    r"(?:estao|foram) (?:suspensas|anuladas)",
    r"non valgono piu",
    r"sono (?:annullate|sospese)",
    r"больше не деиству\w*",
    r"отменен\w*",
)
CJK_OVERRIDE = re.compile(
    rf"(?:忽略|无视|忘记|忘掉|不要理会|不要遵守|無視|忘れ){CJK}(?:指令|指示|规则|規則|说明|提示|要求|限制|ルール|命令|制約)"
    rf"|(?:指令|指示|规则|規則|ルール|命令|制約){CJK}(?:忽略|无视|忘记|忘掉|無視|忘れ|不再适用|作废)"
)


class Kind(StrEnum):
    """The shapes of injected instructions a detector reports."""

    OVERRIDE = "override of the agent's instructions"
    ROLEPLAY = "new identity or rule-free role for the agent"
    ROLE_HEADER = "fake system, admin or chat-template header"
    AUTHORITY = "claim of authority or prior approval"
    AGENT_ADDRESS = "addresses an AI agent"
    TASK_HIJACK = "asks the agent to do something before or instead of its task"
    CONTEXT_SWITCH = "fakes the end of the data or a new task"
    SECRECY = "asks to hide the action from people"
    BYPASS = "asks to skip approval or checks"
    MASS_TARGET = "targets everything or everyone"
    URGENCY = "demands immediate action"
    DEEP_DISCOUNT = "asks for an extreme figure"
    PAYMENT = "asks to move money"


@dataclass(frozen=True)
class Shape:
    kind: Kind
    weight: int
    pattern: re.Pattern[str]


def _compile(source: str) -> re.Pattern[str]:
    """Accents stripped like `fold` strips them from the text; sources are written in lower case already."""
    return re.compile("".join(c for c in unicodedata.normalize("NFKD", source) if not unicodedata.combining(c)))


SHAPES: tuple[Shape, ...] = (
    Shape(Kind.OVERRIDE, 4, _compile(rf"\b{OVERRIDE_VERBS}\b{W}?{INSTRUCTION_NOUNS}\b")),
    Shape(Kind.OVERRIDE, 4, _compile(rf"\b{INSTRUCTION_NOUNS}\b{W}?{OVERRIDE_NOUN_FIRST_VERBS}")),
    Shape(Kind.OVERRIDE, 4, _compile(rf"\b{INSTRUCTION_NOUNS}(?:\W+\w+){{0,3}}?\W+{OVERRIDE_VERBS}\b")),
    Shape(Kind.OVERRIDE, 4, CJK_OVERRIDE),
    Shape(
        Kind.ROLEPLAY,
        3,
        _compile(
            r"\byou are (?:now|no longer)\b(?! (?:part|one|subscribed|enrolled|registered|signed|a member|ready"
            r"|eligible))"
            r"|\bfrom now on,? you (?:are|will)\b|\bpretend (?:you are|to be)\b|\blet'?s play a game\b"
            r"|\b(?:developer|god|jailbreak|dan|admin|unrestricted) mode\b|\bforget (?:your|ton|tu) (?:role|rol"
            r"|papel)\b"
            r"|\b(?:with|without) (?:any |no )?(?:rules|restrictions|limits)\b|\bno rules\b"
            r"|\b(?:a partir de ahora|ahora) eres\b|\beres ahora\b|\bfinge (?:que eres|ser)\b"
            r"|\bsin (?:ninguna )?(?:reglas|restricciones|limites)\b|\btu es (?:maintenant|desormais)\b"
            r"|\bdesormais,? tu es\b|\bfais semblant\b|\bsans (?:aucune )?(?:regles?|restrictions?|limites?)\b"
            r"|\bdu bist (?:jetzt|nun|ab sofort)\b|\bohne (?:jegliche )?(?:regeln|einschrankungen|grenzen)\b"
            r"|\b(?:a partir de )?agora (?:voce e|es)\b|\bvoce agora e\b|\bfinja (?:que e|ser)\b"
            r"|\bsem (?:regras|restricoes|limites)\b|\b(?:da ora|d'ora in poi|ora) sei\b|\bfingi di essere\b"
            r"|\bsenza (?:regole|restrizioni|limiti)\b|\bтеперь ты\b|\bты теперь\b|\bпредставь,? что ты\b"
            r"|\bбез (?:правил|ограничении)\b|你现在是|从现在开始你|扮演|没有任何限制|あなたは今から|制限のない"
        ),
    ),
    Shape(
        Kind.ROLE_HEADER,
        3,
        _compile(
            r"(?:^|[\n.!?]\s*|[\[(<#*]\s*)(?:system|admin|administrator|developer|operator|sistema|systeme"
            r"|systemhinweis"
            r"|systemnachricht|системное сообщение|系统消息|システム)\s*(?:message|notice|override|mode)?\s*[:\])>]"
            r"|<\|\s*(?:im_start|im_end|system|endoftext|assistant)\s*\|>|<\s*/?\s*(?:system|instructions?|admin"
            r"|prompt)\s*>"
            r"|#{2,}\s*(?:system|instruction|new instructions?)\b|\b(?:system|admin|administrator) override\b"
            r"|\b(?:system|developer) prompt\b|\bprompt (?:del sistema|systeme|du systeme)\b|\bsystem-?prompt\b"
            r"|\b(?:mensaje|aviso|nota) del (?:sistema|administrador)\b|\bmessage (?:systeme|de la direction)\b"
            r"|\baviso do sistema\b|\bmessaggio di sistema\b|\bmodo (?:admin|administrador)\b"
        ),
    ),
    Shape(
        Kind.AUTHORITY,
        2,
        _compile(
            r"\bas (?:the )?(?:store|shop|brand|account|site|marketing)? ?(?:owner|manager|administrator|admin"
            r"|ceo|director)\b"
            r"|\bi am (?:the|your) (?:store |shop )?(?:owner|administrator|admin|ceo|director|developer|operator)\b"
            r"|\b(?:message|note|request|instruction|favou?r) from (?:me,? )?(?:the )?(?:management"
            r"|marketing director|director"
            r"|owner|shop owner|store owner|admin|head office|ceo|headquarters)\b"
            r"|\b(?:approved|authori[sz]ed|validated|signed off) by (?:the )?(?:owner|management|admin|ceo|director)\b"
            r"|\bpre-?approved\b|\b(?:this|it) (?:is|was|has been) (?:already )?(?:approved|authori[sz]ed)\b"
            r"|\bcomo (?:dueno|duena|propietari[oa]|responsable|administrador|gerente|director)\b"
            r"|\bsoy (?:el|la) (?:duen[oa]|responsable|administrador|gerente|director)\b|\b(?:esta|ya) aprobado\b"
            r"|\ben tant que (?:proprietaire|directeur|directrice|gerant|administrateur|responsable)\b"
            r"|\bje suis (?:le|la) (?:proprietaire|directeur|directrice|gerant)\b|\bc'est valide\b"
            r"|\bals (?:inhaber|geschaftsfuhrer|administrator|admin|leiter)\b|\bich bin (?:der|die) (?:inhaber\w*"
            r"|geschaftsfuhrer\w*|administrator\w*)\b|\bgenehmigt\b|\bfreigegeben\b"
            r"|\bcomo (?:dono|dona|gerente|proprietari[oa]|administrador|responsavel)\b|\bsou o (?:dono|gerente)\b"
            r"|\besta aprovado\b|\bcome (?:proprietari[oa]|titolare|responsabile|amministratore|direttore)\b"
            r"|\bsono il (?:proprietario|titolare|responsabile)\b|\be approvato\b"
            r"|\bкак владел\w*\b|\bя владел\w*\b|\bодобрено\b"
            r"|作为店主|我是店主|管理员|已批准|已授权|店長として|承認済み"
        ),
    ),
    Shape(
        Kind.AGENT_ADDRESS,
        1,
        _compile(
            r"\b(?:assistant|ai|a\.i\.|agent|bot|chatbot|llm|language model|gpt|copilot|automation|asistente|agente|ia"
            r"|assistente|assistent|ki|robo|robot|ассистент|агент|ии|бот|ии-агент)\b|助手|智能体|机器人|アシスタント"
            r"|エージェント|ボット|المساعد|الوكيل|\bai\b"
        ),
    ),
    Shape(
        Kind.TASK_HIJACK,
        2,
        _compile(
            r"\bbefore (?:you|doing|anything|continuing|finishing|replying|answering|you carry on)\b"
            r"|\bdo the following first\b|\bafter (?:that|you do that),? you can\b|\bimportant message\b"
            r"|\bmensaje importante\b|\bantes de (?:seguir|continuar|terminar|responder)\b|\bmessage important\b"
            r"|\bavant (?:toute chose|de (?:continuer|repondre|terminer))\b|\bwichtige nachricht\b|\bbevor du\b"
            r"|\bmensagem importante\b|\bmessaggio importante\b|\bprima di (?:rispondere|continuare|finire)\b"
            r"|\bважное сообщение\b|\bпрежде чем\b|\bперед ответом\b|重要消息|回复之前|在继续之前|重要なお知らせ"
        ),
    ),
    Shape(
        Kind.CONTEXT_SWITCH,
        2,
        _compile(
            r"\bend of (?:the )?(?:review|text|data|document|input|description|note|context)\b|-{3,}\s*end\b"
            r"|#{2,}\s*(?:end|fin)\b|</\s*(?:review|description|note|data|text|document|input|context)\s*>"
            r"|\]\]\s*(?:end|fin)|\bnew (?:task|instructions? (?:for|to))\b|\bnew instructions?\s*:"
            r"|\bnueva (?:orden|tarea|instruccion)\b|\bfin del (?:texto|documento)\b|\bfin des donnees\b"
            r"|\bnouvelle (?:consigne|tache|instruction)\b|\bneue (?:aufgabe|anweisung)\b|\bnova (?:tarefa|instrucao)\b"
            r"|\bnuova (?:istruzione|attivita)\b|\bновая (?:задача|инструкция)\b|新任务|新的指令|新しい指示"
        ),
    ),
    Shape(
        Kind.SECRECY,
        3,
        _compile(
            r"\b(?:do not|don'?t|never) (?:tell|inform|notify|alert|mention|report|show|let)\b(?:\W+\w+){0,4}?\W+"
            r"(?:approver|user|owner|team|admin|manager|human|anyone|reviewer|operator|boss|staff)"
            r"|\bkeep (?:this|it) (?:secret|quiet|hidden|out of)\b|\bquietly\b|\bsilently\b|\bwithout telling\b"
            r"|\bno (?:se lo )?(?:digas|cuentes|menciones|informes)\b|\ben secreto\b|\bn'en (?:parle|parlez) pas\b"
            r"|\bne (?:le )?(?:dis|dites) (?:rien|pas)\b|\ben secret\b|\bdiscretement\b"
            r"|\bsag\w*\b(?:\W+\w+){0,4}?\W+nichts\b"
            r"|\bheimlich\b|\bverschweig\w*\b|\bnao (?:conte|diga|fale|mencione)\b|\bem segredo\b"
            r"|\bnon (?:dirlo|dire|dirgli|menzionare|informare)\b|\bdi nascosto\b|\bне (?:говори|сообщаи|рассказываи)\b"
            r"|\bвтаине\b|不要告诉|别告诉|不要通知|悄悄|言わないで|伝えないで|内緒"
        ),
    ),
    Shape(
        Kind.BYPASS,
        2,
        _compile(
            r"\bwithout (?:asking|approval|confirmation|checking|review|waiting)\b|\bno need to (?:draft|ask"
            r"|check|confirm"
            r"|wait)\b|\bskip (?:the )?(?:approval|confirmation|review|draft)\b|\bsin (?:esperar )?(?:aprobacion"
            r"|consultar"
            r"|confirmacion)\b|\bsans (?:brouillon|validation|approbation|confirmation)\b|\bohne (?:zu fragen"
            r"|genehmigung"
            r"|freigabe|ruckfrage)\b|\bsem (?:aprovacao|consultar|confirmacao)\b|\bsenza (?:approvazione|chiedere"
            r"|conferma)\b|\bбез (?:одобрения|подтверждения)\b|无需审批|不用确认|承認なしで"
        ),
    ),
    Shape(
        Kind.MASS_TARGET,
        1,
        _compile(
            r"\b(?:all|every|each|whole|entire)\b(?: of)?(?: the| your| our)? (?:\w+ )?(?:customers?|contacts?"
            r"|subscribers?|clients?|campaigns?|reviews?|products?|prices?|drafts?|orders?|fragrances?|perfumes?"
            r"|serums?|catalogu?e|list|audience|users?|budgets?|ad budgets?)\b"
            r"|\b(?:tod[oa]s (?:l[oa]s|os|as)|cada)\b(?: \w+)? (?:clientes?|contact[oa]s?|suscriptor\w*|assinantes?"
            r"|campan\w+|resenas|perfumes|productos|produtos|pedidos|ordens|borradores|precios|avalia\w*)\b"
            r"|\b(?:tous|toutes) (?:les|nos|vos) (?:\w+ )?(?:clients?|abonnes|campagnes|avis|produits|commandes|prix)\b"
            r"|\balle[nrs]? (?:\w+ )?(?:kunden|abonnenten|kampagnen|bewertungen|produkte|bestell\w+|preise)\b"
            r"|\b(?:tutti|tutte) (?:i|gli|le) (?:\w+ )?(?:clienti|iscritti|campagne|recensioni|prodotti|ordini"
            r"|prezzi)\b"
            r"|\b(?:всем|все|всех)\b|所有|全部|全顧客|すべての|全員|جميع"
        ),
    ),
    Shape(
        Kind.URGENCY,
        1,
        _compile(
            r"\b(?:right now|right away|immediately|urgent\w*|asap|at once|ya mismo|de inmediato|inmediatamente"
            r"|urgente|tout de suite|immediatement|sofort|umgehend|dringend|imediatamente|ja|subito|immediatamente"
            r"|срочно|немедленно|сейчас)\b|立即|马上|立刻|今すぐ|直ちに"
        ),
    ),
    Shape(
        Kind.DEEP_DISCOUNT,
        1,
        _compile(
            r"(?<![\d.,])(?:[5-9]\d|100)\s?%|\b(?:half|mitad|moitie|halfte|metade|meta) (?:price|precio|prix"
            r"|preis|preco"
            r"|prezzo)?|\b(?:1|one) (?:cent|centimo|centime|euro)\b|\b(?:everything|todo|tout|alles|tudo"
            r"|tutto) (?:is )?"
            r"(?:free|gratis|gratuit|kostenlos|gratuito)\b|五折|半价"
        ),
    ),
    Shape(
        Kind.PAYMENT,
        1,
        _compile(
            r"\b(?:wire|bank|money) transfer\b|\btransfer (?:the |all )?(?:funds|money|payment|balance)\b"
            r"|\btransferencia bancaria\b|\bvirement\b|\buberweis\w*\b|\btransferencia\b|\bbonifico\b"
            r"|\bперевед\w* деньги\b|\bперевод денег\b|转账|汇款|振込"
        ),
    ),
)
"""Instruction shapes in the order their evidence is reported."""
