"""A send through Klaviyo: the audience Cadencia checked becomes a list, then a campaign (draft) with Smart Sending,
then a send job. Klaviyo sends to exactly that list, so nobody outside Cadencia's consent check is reached."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from cadencia.tools.crm.models import Channel, SendStatus
from cadencia.tools.crm.vendors.klaviyo_api import KlaviyoApi, resource

BATCH = 1000
"""Profiles per add-to-list request (Klaviyo's documented maximum per relationship call)."""
STATUSES = {
    "Scheduled": SendStatus.SCHEDULED,
    "Preparing to schedule": SendStatus.SCHEDULED,
    "Sent": SendStatus.SENT,
    "Sending": SendStatus.SENT,
    "Sending Segments": SendStatus.SENT,
    "Preparing to send": SendStatus.SENT,
    "Adding Recipients": SendStatus.SENT,
    "Draft": SendStatus.CANCELLED,
}


def send_status(klaviyo_status: str) -> SendStatus:
    """Klaviyo campaign status → send status (a reverted campaign is a Draft again: cancelled here)."""
    if klaviyo_status.startswith("Cancelled"):
        return SendStatus.CANCELLED if klaviyo_status == "Cancelled" else SendStatus.FAILED
    return STATUSES.get(klaviyo_status, SendStatus.FAILED)


@dataclass(frozen=True)
class Outgoing:
    send_id: str
    channel: Channel
    subject: str
    body: str
    at: datetime | None
    """None: send now; else a static send at this UTC time."""
    from_email: str
    from_label: str


async def audience_list(api: KlaviyoApi, name: str, profile_ids: list[str]) -> str:
    """A new static list holding exactly these profiles; returns its id."""
    created = await api.request("POST", "lists", body=resource("list", {"name": name}), retry_safe=False)
    list_id = str(created["data"]["id"])
    for start in range(0, len(profile_ids), BATCH):
        batch = [{"type": "profile", "id": i} for i in profile_ids[start : start + BATCH]]
        await api.request("POST", f"lists/{list_id}/relationships/profiles", body={"data": batch}, retry_safe=True)
    return list_id


def _definition(out: Outgoing) -> dict[str, object]:
    if out.channel is Channel.EMAIL:
        content = {
            "subject": out.subject,
            "preview_text": "",
            "from_email": out.from_email,
            "from_label": out.from_label,
        }
        return {"channel": "email", "label": out.send_id, "content": content}
    return {"channel": "sms", "content": {"body": out.body}}


def _html(body: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip())
    return f"<html><body>{paragraphs}</body></html>"


async def campaign(api: KlaviyoApi, out: Outgoing, list_id: str) -> tuple[str, str | None]:
    """Create the campaign (a draft) to the list, with its content; returns the campaign and template ids."""
    strategy: dict[str, object] = (
        {"method": "immediate"}
        if out.at is None
        else {"method": "static", "datetime": out.at.isoformat(timespec="seconds"), "options": {"is_local": False}}
    )
    attributes = {
        "name": f"Cadencia {out.send_id}",
        "audiences": {"included": [list_id], "excluded": []},
        "send_strategy": strategy,
        "send_options": {"use_smart_sending": True},
        "campaign-messages": {"data": [{"type": "campaign-message", "attributes": {"definition": _definition(out)}}]},
    }
    created = await api.request("POST", "campaigns", body=resource("campaign", attributes), retry_safe=False)
    campaign_id = str(created["data"]["id"])
    template_id: str | None = None
    if out.channel is Channel.EMAIL:
        message_id = created["data"]["relationships"]["campaign-messages"]["data"][0]["id"]
        template = await api.request(
            "POST",
            "templates",
            body=resource(
                "template",
                {"name": f"Cadencia {out.send_id}", "editor_type": "CODE", "html": _html(out.body), "text": out.body},
            ),
            retry_safe=False,
        )
        template_id = str(template["data"]["id"])
        assign = {
            "data": {
                "type": "campaign-message",
                "id": message_id,
                "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
            }
        }
        await api.request("POST", "campaign-message-assign-template", body=assign, retry_safe=True)
    return campaign_id, template_id


async def start(api: KlaviyoApi, campaign_id: str) -> None:
    """Queue the campaign: sent now or at its static time (a second start of the same campaign is refused)."""
    body = {"data": {"type": "campaign-send-job", "id": campaign_id}}
    await api.request("POST", "campaign-send-jobs", body=body, retry_safe=False)


async def revert(api: KlaviyoApi, campaign_id: str) -> None:
    """Take a scheduled campaign back to draft (nothing is sent)."""
    body = {"data": {"type": "campaign-send-job", "id": campaign_id, "attributes": {"action": "revert"}}}
    await api.request("PATCH", f"campaign-send-jobs/{campaign_id}", body=body, retry_safe=True)


async def discard(api: KlaviyoApi, campaign_id: str, list_id: str, template_id: str | None) -> None:
    """Delete a reverted (draft) campaign with the list and template made for it, leaving no trace in Klaviyo."""
    await api.request("DELETE", f"campaigns/{campaign_id}")
    await api.request("DELETE", f"lists/{list_id}")
    if template_id:
        await api.request("DELETE", f"templates/{template_id}")


async def status(api: KlaviyoApi, campaign_id: str) -> SendStatus:
    doc = await api.get(f"campaigns/{campaign_id}")
    return send_status(str(doc["data"]["attributes"]["status"]))
