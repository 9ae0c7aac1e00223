"""The simulated person who answers approvals, from the scenario's approver script."""

from __future__ import annotations

from fnmatch import fnmatchcase

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import Approver
from cadencia.evals.scenarios import Approver as ApproverScript
from cadencia.evals.scenarios import ApproverMode
from cadencia.tools.names import base_name
from cadencia.tools.reversibility import Reversibility

RULE_ANSWERS = {"approve": ApprovalChoice.APPROVE, "reject": ApprovalChoice.REJECT, "time_out": ApprovalChoice.EXPIRE}


def scripted_approver(script: ApproverScript) -> Approver:
    def answer(request: ApprovalRequest) -> ApprovalResponse:
        action = request.assessment.action
        tool = base_name(action.tool)
        mode = script.mode
        rule = next(
            (r for r in script.rules if fnmatchcase(tool, r.tool) and all(t.holds(action.args) for t in r.where)), None
        )
        if rule is not None:
            choice = RULE_ANSWERS[rule.answer]
            note = f"rule {script.rules.index(rule)}: {rule.answer} {rule.tool}"
            return ApprovalResponse(
                choice=choice, request_hash=request.request_hash, approver="scenario:rules", note=note
            )
        if mode is ApproverMode.TIME_OUT:
            choice = ApprovalChoice.EXPIRE
        elif mode is ApproverMode.APPROVE_ALL:
            choice = ApprovalChoice.APPROVE
        elif mode is ApproverMode.REJECT_ALL:
            choice = ApprovalChoice.REJECT
        elif mode is ApproverMode.REJECT_IRREVERSIBLE:
            irreversible = request.assessment.reversibility is Reversibility.IRREVERSIBLE
            choice = ApprovalChoice.REJECT if irreversible else ApprovalChoice.APPROVE
        else:
            choice = ApprovalChoice.APPROVE if tool in script.tools else ApprovalChoice.REJECT
        return ApprovalResponse(
            choice=choice, request_hash=request.request_hash, approver=f"scenario:{mode.value}", note=mode.value
        )

    return answer
