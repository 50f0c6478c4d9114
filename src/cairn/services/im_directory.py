"""Directory sync from WeCom / DingTalk (administrators, audited): departments and people read
from the platform of a ``wecom_app`` / ``dingtalk_app`` config and merged into Cairn's
(``integrations.directory_sync``); on demand, and nightly for configs with ``daily_sync``.
Nothing is deleted: what is gone upstream is listed in the report. Each run is kept with its
report (``directory_sync_runs``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, require_admin
from cairn.core import Invalid, NotFound
from cairn.integrations import ChannelError
from cairn.integrations.channels import WorkPlatform
from cairn.integrations.directory_sync import merge, new_report
from cairn.services.channels import load_config
from cairn.services.uow import unit_of_work
from cairn.store import im
from cairn.store import notifications as store

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

MAX_RUNS = 100


def run_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "trigger": row.trigger,
        "actor_id": row.actor_id,
        "status": row.status,
        "started_at": row.started_at.isoformat(timespec="seconds") + "Z",
        "finished_at": row.finished_at.isoformat(timespec="seconds") + "Z"
        if row.finished_at
        else None,
        "report": row.report or new_report(),
    }


class DirectorySyncService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def sync(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        """Sync now from the config named ``body["channel"]``: the run with its report."""
        require_admin(principal)
        key = body.get("channel")
        if not isinstance(key, str) or not key:
            raise Invalid.on("channel", "field.required")
        return self.run(key, "manual", principal)

    def run(self, key: str, trigger: str, principal: Principal) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            config = load_config(self.s, uow.conn, key)
        if config is None:
            raise NotFound("channel.not_found", key=key)
        ch = self.s.channels.get(config.kind)
        if not isinstance(ch, WorkPlatform):
            raise Invalid.on("channel", "directory.not_a_platform", channel=key)
        with unit_of_work(self.s) as uow:
            run_id = im.start_run(
                uow.conn, uow.now, channel=key, trigger=trigger, actor_id=principal.user_id
            )
        report, status = new_report(), "failed"
        try:
            if not config.enabled:
                raise ChannelError("the channel is disabled", False, channel=key)
            directory = ch.directory(config)  # outside any transaction: many HTTP calls
            with unit_of_work(self.s, principal=principal) as uow:
                report = merge(uow.conn, uow.now, ch, directory)
                status = "partial" if report["errors"] else "ok"
                uow.audit(
                    Entry(
                        "directory.sync",
                        "channel",
                        key,
                        details={
                            "trigger": trigger,
                            "run_id": run_id,
                            "departments": report["departments"],
                            "users": report["users"],
                            "missing": len(report["missing"]),
                            "errors": len(report["errors"]),
                        },
                    )
                )
        except ChannelError as e:
            report["errors"].append({"userid": None, "message": str(e)[:500]})
            log.warning("directory sync from %s failed: %s", key, e)
        with unit_of_work(self.s) as uow:
            im.finish_run(uow.conn, run_id, uow.now, status, report)
            return run_json(im.run(uow.conn, run_id))

    def runs(
        self, principal: Principal, channel: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            items = [run_json(r) for r in im.runs(uow.conn, channel, min(limit, MAX_RUNS))]
        return {"items": items}

    def daily(self) -> list[dict[str, Any]]:
        """The nightly sync of every enabled config with ``daily_sync`` on (worker)."""
        with unit_of_work(self.s, write=False) as uow:
            keys = [
                r["key"]
                for r in store.list_configs(uow.conn)
                if r["enabled"]
                and r["kind"] in self.s.channels
                and isinstance(self.s.channels.get(r["kind"]), WorkPlatform)
                and (r["settings"] or {}).get("daily_sync")
            ]
        out = []
        for key in keys:
            try:
                out.append(self.run(key, "daily", SYSTEM))
            except Exception:  # one config's failure does not stop the others
                log.exception("daily directory sync from %s failed", key)
        return out
