"""A fake Klaviyo REST API (JSON:API, revision 2026-10-15) seeded from the sandbox's contacts, consents and segments.

Profiles carry `subscriptions` (email/sms/whatsapp marketing consent, email suppressions) and
`predictive_analytics`; segments are the sandbox segments with the members their rules select; campaigns go
Draft → Scheduled/Sent through send jobs and back to Draft on `revert`; errors use Klaviyo's `errors[]` body and 429
carries `Retry-After`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from cadencia.tools.crm.models import SegmentRules
from cadencia.tools.crm.segments import rules_clause
from cadencia.tools.crm.tables import consents, contacts, segments
from cadencia.tools.store.store import Store

API_KEY = "pk_fake_klaviyo_private_key_0001"
REVISION = "2026-10-15"
BASE = "https://a.klaviyo.com"
COUNTRY_NAMES = {"ES": "Spain", "CO": "Colombia", "FR": "France", "US": "United States"}
CONSENT = {"granted": "SUBSCRIBED", "withdrawn": "UNSUBSCRIBED", "none": "NEVER_SUBSCRIBED"}


def klaviyo_id(contact_id: str) -> str:
    """C-0000042 → a 26-character ULID-like profile id."""
    return f"01KLAVIYO{int(contact_id[2:]):017d}"


def errors(status: int, code: str, detail: str, **headers: str) -> httpx.Response:
    body = {
        "errors": [{"id": "e-1", "status": status, "code": code, "title": code.replace("_", " "), "detail": detail}]
    }
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeKlaviyo:
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    suppression_jobs: list[list[str]] = field(default_factory=list)
    throttle_next: int = 0
    counter: int = 0

    @classmethod
    def from_store(cls, store: Store) -> FakeKlaviyo:
        fake = cls()
        today = store.today()
        with store.reading() as conn:
            by_contact: dict[str, dict[str, Any]] = {}
            for row in conn.execute(select(consents)).mappings():
                by_contact.setdefault(row["contact_id"], {})[row["channel"]] = {
                    "consent": CONSENT[row["status"]],
                    "consent_timestamp": f"{row['updated_on']}T00:00:00+00:00",
                    "method": row["source"],
                }
            for row in conn.execute(select(contacts).order_by(contacts.c.id)).mappings():
                pid = klaviyo_id(row["id"])
                subs = by_contact.get(row["id"], {})
                email = {"can_receive_email_marketing": not row["suppressed"], **subs.get("email", {})}
                if row["suppressed"]:
                    email["suppression"] = [
                        {"reason": "USER_SUPPRESSED", "timestamp": f"{row['suppressed_on']}T00:00:00"}
                    ]
                fake.profiles[pid] = {
                    "type": "profile",
                    "id": pid,
                    "attributes": {
                        "email": row["email"],
                        "phone_number": row["phone"].replace(" ", ""),
                        "first_name": row["first_name"],
                        "last_name": row["last_name"],
                        "locale": f"{row['language']}-{row['country']}",
                        "location": {"country": COUNTRY_NAMES.get(row["country"], row["country"])},
                        "created": f"{row['created_on']}T10:00:00+00:00",
                        "subscriptions": {
                            "email": {"marketing": email},
                            "sms": {"marketing": subs.get("sms", {})},
                            "whatsapp": {"marketing": subs.get("whatsapp", {})},
                        },
                        "predictive_analytics": {
                            "historic_number_of_orders": row["orders_count"],
                            "historic_clv": row["lifetime_value_minor"] / 100,
                        },
                    },
                }
            for seg in conn.execute(select(segments).order_by(segments.c.id)).mappings():
                rules = SegmentRules.model_validate_json(seg["rules"])
                ids = conn.execute(select(contacts.c.id).where(rules_clause(rules, today)).order_by(contacts.c.id))
                fake.segments[seg["id"]] = {
                    "name": seg["name"],
                    "created": f"{seg['created_on']}T00:00:00+00:00",
                    "members": [klaviyo_id(i) for i in ids.scalars()],
                }
        fake.lists["NEWS01"] = {"name": "Newsletter", "created": "2025-01-01T00:00:00+00:00", "members": []}
        return fake

    def state(self) -> str:
        return json.dumps(
            [self.profiles, self.lists, self.campaigns, self.suppression_jobs], sort_keys=True, default=str
        )

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:04d}"

    # -- dispatch ------------------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Klaviyo-API-Key {API_KEY}":
            return errors(401, "not_authenticated", "Incorrect authentication credentials.")
        if request.headers.get("revision") != REVISION:
            return errors(400, "invalid", "The revision header is missing or invalid.")
        if self.throttle_next:
            self.throttle_next -= 1
            return errors(
                429, "throttled", "Request was throttled. Expected available in 1 second.", **{"Retry-After": "1"}
            )
        path = request.url.path.removeprefix("/api/").strip("/")
        params = dict(request.url.params)
        body = json.loads(request.content) if request.content else {}
        method = request.method
        if method == "GET":
            return self._get(path, params)
        if method == "PATCH" and path.startswith("campaign-send-jobs/"):
            return self._cancel(path.split("/")[1], body)
        if method == "DELETE":
            return self._delete(path)
        handler = {
            "lists": self._create_list,
            "campaigns": self._create_campaign,
            "templates": self._create_template,
            "campaign-message-assign-template": self._assign,
            "campaign-send-jobs": self._start,
            "profile-suppression-bulk-create-jobs": self._suppress,
        }.get(path)
        if handler is not None:
            return handler(body)
        if m := re.fullmatch(r"lists/(\w+)/relationships/profiles", path):
            return self._add_to_list(m.group(1), body)
        return errors(404, "not_found", f"No route for {method} /api/{path}")

    def _page(self, items: list[dict[str, Any]], path: str, params: dict[str, str]) -> httpx.Response:
        size = int(params.get("page[size]", 20))
        if size > 100:
            return errors(400, "invalid", "page[size] must be at most 100")
        start = int(params.get("page[cursor]") or 0)
        links: dict[str, Any] = {"self": f"{BASE}/api/{path}"}
        if start + size < len(items):
            links["next"] = f"{BASE}/api/{path}?" + urlencode({**params, "page[cursor]": str(start + size)})
        return httpx.Response(200, json={"data": items[start : start + size], "links": links})

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        if path == "profiles":
            return self._page(self._filtered(list(self.profiles.values()), params), path, params)
        if m := re.fullmatch(r"(segments|lists)/(\w[\w-]*)/profiles", path):
            group = (self.segments if m.group(1) == "segments" else self.lists).get(m.group(2))
            if group is None:
                return errors(404, "not_found", f"{m.group(1)[:-1]} {m.group(2)} not found")
            found = self._filtered([self.profiles[i] for i in group["members"]], params)
            return self._page(found, path, params)
        if path in ("segments", "lists"):
            groups = self.segments if path == "segments" else self.lists
            items = [
                {"type": path[:-1], "id": gid, "attributes": {"name": g["name"], "created": g["created"]}}
                for gid, g in groups.items()
            ]
            return self._page(items, path, params)
        if m := re.fullmatch(r"profiles/(\w+)", path):
            profile = self.profiles.get(m.group(1))
            return httpx.Response(200, json={"data": profile}) if profile else errors(404, "not_found", "Not found.")
        if m := re.fullmatch(r"campaigns/(\w+)", path):
            campaign = self.campaigns.get(m.group(1))
            if campaign is None:
                return errors(404, "not_found", "Campaign not found.")
            return httpx.Response(200, json={"data": {"type": "campaign", "id": m.group(1), "attributes": campaign}})
        return errors(404, "not_found", f"No route for GET /api/{path}")

    @staticmethod
    def _filtered(items: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
        match = re.fullmatch(r"equals\((\w+),'([^']*)'\)", params.get("filter", ""))
        if match is None:
            return items
        key, value = match.groups()
        if key in ("id", "profile_id"):
            return [p for p in items if p["id"] == value]
        return [p for p in items if p["attributes"].get(key) == value]

    # -- writes ----------------------------------------------------------------------------------------------------

    def _create_list(self, body: dict[str, Any]) -> httpx.Response:
        list_id = self._id("L")
        self.lists[list_id] = {
            "name": body["data"]["attributes"]["name"],
            "created": "2026-03-02T09:00:00+00:00",
            "members": [],
        }
        return httpx.Response(
            201, json={"data": {"type": "list", "id": list_id, "attributes": {"name": self.lists[list_id]["name"]}}}
        )

    def _add_to_list(self, list_id: str, body: dict[str, Any]) -> httpx.Response:
        if list_id not in self.lists or len(body["data"]) > 1000:
            return errors(400, "invalid", "List not found or more than 1000 profiles in one request.")
        members = self.lists[list_id]["members"]
        members += [p["id"] for p in body["data"] if p["id"] in self.profiles and p["id"] not in members]
        return httpx.Response(204)

    def _create_campaign(self, body: dict[str, Any]) -> httpx.Response:
        a = body["data"]["attributes"]
        message = a["campaign-messages"]["data"][0]["attributes"]["definition"]
        if message["channel"] == "email" and not (message.get("content") or {}).get("from_email"):
            return errors(400, "invalid", "An email message needs content.from_email.")
        strategy = a.get("send_strategy") or {"method": "immediate"}
        if strategy["method"] not in ("immediate", "static"):
            return errors(400, "invalid", "Unsupported send strategy.")
        campaign_id, message_id = self._id("CP"), self._id("CM")
        self.campaigns[campaign_id] = {
            "name": a["name"],
            "status": "Draft",
            "audiences": a["audiences"],
            "send_strategy": strategy,
            "send_options": a.get("send_options"),
            "message": {"id": message_id, "definition": message, "template": None},
            "recipients": [],
        }
        rel = {"campaign-messages": {"data": [{"type": "campaign-message", "id": message_id}]}}
        return httpx.Response(
            201,
            json={
                "data": {"type": "campaign", "id": campaign_id, "attributes": {"status": "Draft"}, "relationships": rel}
            },
        )

    def _create_template(self, body: dict[str, Any]) -> httpx.Response:
        template_id = self._id("T")
        self.templates[template_id] = body["data"]["attributes"]
        return httpx.Response(201, json={"data": {"type": "template", "id": template_id}})

    def _assign(self, body: dict[str, Any]) -> httpx.Response:
        message_id = body["data"]["id"]
        template_id = body["data"]["relationships"]["template"]["data"]["id"]
        campaign = next((c for c in self.campaigns.values() if c["message"]["id"] == message_id), None)
        if campaign is None or template_id not in self.templates:
            return errors(404, "not_found", "Campaign message or template not found.")
        campaign["message"]["template"] = template_id
        return httpx.Response(201, json={"data": {"type": "campaign-message", "id": message_id}})

    def _start(self, body: dict[str, Any]) -> httpx.Response:
        campaign = self.campaigns.get(body["data"]["id"])
        if campaign is None:
            return errors(404, "not_found", "Campaign not found.")
        if campaign["status"] != "Draft":
            return errors(400, "invalid", f"Campaign is {campaign['status']}; only drafts can be sent.")
        if campaign["message"]["definition"]["channel"] == "email" and campaign["message"]["template"] is None:
            return errors(400, "invalid", "The email message has no template.")
        included = campaign["audiences"]["included"]
        recipients = [p for list_id in included for p in self.lists[list_id]["members"]]
        campaign["recipients"] = recipients
        campaign["status"] = "Scheduled" if campaign["send_strategy"]["method"] == "static" else "Sent"
        return httpx.Response(202, json={"data": {"type": "campaign-send-job", "id": body["data"]["id"]}})

    def _cancel(self, campaign_id: str, body: dict[str, Any]) -> httpx.Response:
        campaign = self.campaigns.get(campaign_id)
        action = body["data"]["attributes"]["action"]
        if campaign is None or campaign["status"] != "Scheduled":
            return errors(400, "invalid", "Only a scheduled campaign can be cancelled or reverted.")
        campaign["status"] = "Draft" if action == "revert" else "Cancelled"
        campaign["recipients"] = []
        return httpx.Response(204)

    def _delete(self, path: str) -> httpx.Response:
        kind, _, object_id = path.partition("/")
        store = {"campaigns": self.campaigns, "lists": self.lists, "templates": self.templates}.get(kind, {})
        if object_id not in store:
            return errors(404, "not_found", f"{kind} {object_id} not found")
        if kind == "campaigns" and store[object_id]["status"] not in ("Draft", "Cancelled"):
            return errors(400, "invalid", "Only draft campaigns can be deleted.")
        del store[object_id]
        return httpx.Response(204)

    def _suppress(self, body: dict[str, Any]) -> httpx.Response:
        emails = [p["attributes"]["email"] for p in body["data"]["attributes"]["profiles"]["data"]]
        for profile in self.profiles.values():
            if profile["attributes"]["email"] in emails:
                marketing = profile["attributes"]["subscriptions"]["email"]["marketing"]
                marketing["suppression"] = [{"reason": "USER_SUPPRESSED", "timestamp": "2026-03-02T09:00:00"}]
                marketing["can_receive_email_marketing"] = False
        self.suppression_jobs.append(emails)
        return httpx.Response(202, json={"data": {"type": "profile-suppression-bulk-create-job", "id": self._id("J")}})

    def delivered(self, campaign_id: str) -> set[str]:
        campaign = self.campaigns[campaign_id]
        return set(campaign["recipients"]) if campaign["status"] in ("Sent", "Scheduled") else set()
