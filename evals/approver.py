"""The simulated person who answers approvals, from the scenario's approver script."""

from __future__ import annotations

from cadencia.agents.approvals import ApprovalChoice, ApprovalRequest, ApprovalResponse
from cadencia.agents.driver import Approver
from cadencia.evals.scenarios import Approver as ApproverScript
from cadencia.evals.scenarios import ApproverMode
from cadencia.tools.names import base_name
from cadencia.tools.reversibility import Reversibility


def scripted_approver(script: ApproverScript) -> Approver:
    def answer(request: ApprovalRequest) -> ApprovalResponse:
        tool = base_name(request.assessment.action.tool)
        mode = script.mode
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
