"""A server's question (MCP elicitation, or an input-required result) reaching the agent's own approval path.

The client's elicitation callback never answers on its own: a question it has no answer for is cancelled (the
server keeps the request pending) and handed to the tool call that caused it, so the LangChain middleware can ask
its person with a LangGraph interrupt. The call is then retried carrying the person's answer for exactly that
question (matched by its text and schema), which the callback gives the server once.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Any

from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult
from pydantic import BaseModel, Field, JsonValue

from cadencia.tools.store.canonical import canonical_json

FORM_ANSWER_ARG = "cadencia_form_answer"
"""Hidden tool-call argument carrying a person's answer to a server's question (never sent to the server)."""
QUESTION_ARTIFACT = "server_question"
"""Key of the tool result's artifact naming the question a server asked during the call."""

_ASKED: ContextVar[list[ServerQuestion] | None] = ContextVar("cadencia_server_questions", default=None)


class ServerQuestion(BaseModel):
    """What a server asked: its message (the form's text) and the fields it wants, keyed by both."""

    key: str
    message: str
    requested_schema: dict[str, JsonValue] = Field(default_factory=dict)


class FormAnswer(BaseModel):
    """A person's answer to one server question."""

    key: str
    action: str = Field(pattern="^(accept|decline|cancel)$")
    content: dict[str, JsonValue] | None = None


def question_of(params: ElicitRequestParams) -> ServerQuestion:
    schema = params.requested_schema if isinstance(params, ElicitRequestFormParams) else {}
    schema_json: dict[str, JsonValue] = dict(schema or {})
    key = hashlib.sha256(canonical_json({"message": params.message, "schema": schema_json}).encode()).hexdigest()
    return ServerQuestion(key=key, message=params.message, requested_schema=schema_json)


def answer_for(question: ServerQuestion, *, approved: bool, note: str = "") -> FormAnswer:
    """Accept (with the note where the form has a `note` field) or decline `question`."""
    if not approved:
        return FormAnswer(key=question.key, action="decline")
    properties = question.requested_schema.get("properties")
    content: dict[str, JsonValue] = {"note": note} if isinstance(properties, dict) and "note" in properties else {}
    return FormAnswer(key=question.key, action="accept", content=content)


class ServerForms:
    """The client's elicitation callback: answers a question only with an answer given for exactly it, once."""

    def __init__(self) -> None:
        self._answers: dict[str, FormAnswer] = {}
        self._unclaimed: list[ServerQuestion] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        question = question_of(params)
        answer = self._answers.pop(question.key, None)
        if answer is not None:
            return ElicitResult(action=answer.action, content=answer.content)  # type: ignore[arg-type]
        asked = _ASKED.get()
        (asked if asked is not None else self._unclaimed).append(question)
        return ElicitResult(action="cancel")

    def expect(self, answer: FormAnswer) -> None:
        """Give `answer` when its question is asked next."""
        self._answers[answer.key] = answer

    def collecting(self) -> tuple[list[ServerQuestion], Any]:
        """Start collecting the questions asked in this task (a call's own); returns the list and a reset token."""
        asked: list[ServerQuestion] = []
        return asked, _ASKED.set(asked)

    def stop_collecting(self, token: Any) -> list[ServerQuestion]:
        """Stop collecting; also hands over questions asked outside the task (a server-to-client request)."""
        _ASKED.reset(token)
        unclaimed, self._unclaimed = self._unclaimed, []
        return unclaimed
