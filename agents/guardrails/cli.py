"""`cadencia policy explain`: show what a policy decides about one action, without executing anything."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Annotated

import anyio
import typer
from pydantic import JsonValue, TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from cadencia.agents.actions import Assessment, Decision, ProposedAction, Verdict
from cadencia.agents.connect import inprocess_toolbox
from cadencia.agents.facts_mcp import McpFacts
from cadencia.agents.goal import Goal, GoalError
from cadencia.console import make_console
from cadencia.servers.app import TOOLSETS
from cadencia.servers.paths import default_db
from cadencia.servers.sandbox import open_store, sandbox_backends
from cadencia.tools.policy.engine import GuardrailEngine, RunView
from cadencia.tools.policy.facts import Facts, FactsError, StaticFacts
from cadencia.tools.policy.policy import PolicyError, default_policy, load_policy
from cadencia.tools.reversibility import Reversibility

policy_app = typer.Typer(name="policy", no_args_is_help=True)

_STYLE = MappingProxyType(
    {
        Decision.ALLOW: "green",
        Decision.CLAMP: "yellow",
        Decision.REQUIRE_APPROVAL: "magenta",
        Decision.DENY: "bold red",
    }
)
_TOOL_MAP = TypeAdapter(dict[str, Reversibility])


def trusted_tools() -> dict[str, Reversibility]:
    """The combined server's tool names and reversibility classes (the trusted registry)."""
    return {name: rv for cap, ts in TOOLSETS.items() for name, rv in ts.registry(f"{cap.value}_").items()}


@policy_app.callback()
def policy_group() -> None:
    """Guardrail policies: see what a policy decides, without executing anything."""


@policy_app.command("explain")
def explain(
    goal: Annotated[Path, typer.Option("--goal", help="Goal YAML file.", exists=True, dir_okay=False)],
    action: Annotated[str, typer.Option("--action", help="Proposed action as JSON, or @path to a JSON file.")],
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy YAML (default: the packaged default).", envvar="CADENCIA_POLICY"),
    ] = None,
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts",
            help="Facts JSON instead of the sandbox: {products: [{sku, price_minor, list_price_minor, cost_minor, "
            "currency}], campaigns: [{id, platform, status, daily_budget_minor, currency, sku}], stock_cover_days: "
            "{sku: days}, segment_reach: {segment: {channel: n}}, messages: [{id, channel, subject, body, "
            "claim_ids}], claims: [{id, text, approved}]}; a section left out is unknown (checks fail closed).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CADENCIA_DB",
            help="Read facts from this sandbox store (path or postgresql:// URL). Default: <workdir>/sandbox.db.",
        ),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="State directory whose sandbox gives the facts. Default: the per-user data directory."
        ),
    ] = None,
    tools: Annotated[
        Path | None, typer.Option("--tools", help="JSON map tool -> reversibility (default: the servers' registry).")
    ] = None,
) -> None:
    """Show which rules fire for an action and the final decision; nothing is executed.

    Facts (prices, costs, budgets, stock cover, reach, messages, claims) are read from the sandbox store of the
    workdir (or --db) through the same read-only tools the agent uses, unless --facts gives them as JSON.

    Example: cadencia policy explain --goal goal.yaml --action @action.json [--db sandbox.db | --facts facts.json]
    """
    try:
        the_goal = Goal.from_yaml(goal)
        the_policy = load_policy(policy) if policy else default_policy()
        the_facts = StaticFacts.load(facts) if facts else None
        registry = _TOOL_MAP.validate_json(tools.read_text(encoding="utf-8")) if tools else trusted_tools()
        proposed = _parse_action(action)
    except (GoalError, PolicyError, FactsError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = GuardrailEngine(the_policy)
    source = db or default_db(workdir)
    if the_facts is None:
        make_console(stderr=True).print(f"facts from the sandbox {source}", soft_wrap=True, markup=False)
    assessment, verdicts = anyio.run(lambda: _evaluate(engine, proposed, the_goal, registry, the_facts, source))
    checks = {rule.id: rule.check for rule in the_policy.rules}
    _render(make_console(), assessment, verdicts, checks)


async def _evaluate(
    engine: GuardrailEngine,
    action: ProposedAction,
    goal: Goal,
    registry: dict[str, Reversibility],
    facts: Facts | None,
    db: str,
) -> tuple[Assessment, list[Verdict]]:
    if facts is not None:
        run = RunView(goal=goal, facts=facts, tools=registry)
        return await engine.assess(action, run), await engine.explain(action, run)
    store = open_store(db)
    try:
        async with inprocess_toolbox(sandbox_backends(store)) as toolbox:
            run = RunView(goal=goal, facts=McpFacts(toolbox), tools=registry)
            return await engine.assess(action, run), await engine.explain(action, run)
    finally:
        store.close()


def _parse_action(raw: str) -> ProposedAction:
    text = Path(raw[1:]).read_text(encoding="utf-8") if raw.startswith("@") else raw
    try:
        data = TypeAdapter(dict[str, JsonValue]).validate_json(text)
        return ProposedAction.model_validate({"id": "explain", **data})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(action)"
        raise ValueError(f"--action: {where}: {first['msg']}") from exc


def _render(console: Console, assessment: Assessment, verdicts: list[Verdict], checks: dict[str, str]) -> None:
    action = assessment.action
    table = Table(title=f"{action.tool} ({assessment.reversibility.value})")
    for column in ("rule", "check", "decision", "reason"):
        table.add_column(column)
    for verdict in verdicts:
        style = "" if verdict.decision is Decision.ALLOW else _STYLE[verdict.decision]
        table.add_row(verdict.rule, checks.get(verdict.rule, "-"), verdict.decision.value, verdict.reason, style=style)
    console.print(table)
    decision = assessment.decision
    console.print(f"decision: [{_STYLE[decision]}]{decision.value}[/] (risk {assessment.risk})")
    if assessment.effective_args != action.args:
        console.print(f"effective args: {json.dumps(assessment.effective_args, sort_keys=True)}")
    console.print(f"request hash: {assessment.request_hash}")
