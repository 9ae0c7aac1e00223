"""Build a planner from a CLI-style name: heuristic (default) or llm with a `provider:model` spec."""

from __future__ import annotations

from langchain.chat_models import init_chat_model

from cadencia.agents.planners.base import Planner
from cadencia.agents.planners.heuristic import HeuristicPlanner
from cadencia.agents.planners.llm import LLMPlanner


class PlannerError(ValueError):
    """An unknown planner name, or an LLM planner without a model."""


def make_planner(kind: str, *, model: str | None = None) -> Planner:
    if kind == "heuristic":
        return HeuristicPlanner()
    if kind == "llm":
        if not model:
            raise PlannerError("the llm planner needs --model provider:name, e.g. openai:gpt-4.1 or anthropic:claude-…")
        try:
            chat = init_chat_model(model)
        except ImportError as exc:  # the provider's LangChain package is not installed: say which
            raise PlannerError(f"--model {model}: {exc}") from None
        except ValueError as exc:
            raise PlannerError(f"--model {model}: {exc}") from None
        return LLMPlanner(chat)
    raise PlannerError(f"unknown planner {kind!r}; use heuristic or llm")
