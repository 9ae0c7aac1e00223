"""A scripted chat model for agent tests: accepts bind_tools, replays tool calls, records what it was sent."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field


class ScriptedChatModel(GenericFakeChatModel):
    """A fake chat model that accepts bind_tools and replays scripted AIMessages; it records what it was sent."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> ScriptedChatModel:
        return self

    async def _agenerate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return await super()._agenerate(messages, *args, **kwargs)


def scripted(*tool_call_batches: list[dict[str, Any]]) -> ScriptedChatModel:
    """One AIMessage per batch of tool calls (`{"name": ..., "args": ...}`), then plain replies."""
    replies: list[AIMessage] = []
    for i, batch in enumerate(tool_call_batches):
        calls = [{"id": f"call-{i}-{j}", "name": c["name"], "args": c["args"]} for j, c in enumerate(batch)]
        replies.append(AIMessage("", tool_calls=calls))
    replies += [AIMessage("done")] * 10
    return ScriptedChatModel(messages=iter(replies))
