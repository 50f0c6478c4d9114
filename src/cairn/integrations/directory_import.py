"""Directory sync from WeCom / DingTalk: departments and people read from the platform of a
``wecom_app`` / ``dingtalk_app`` config and merged into Cairn's (``directory_sync.merge``), on
demand and nightly for the configs with ``daily_sync``. Nothing is deleted: what is gone
upstream is listed in the report. Each run is kept with its report (``directory_sync_runs``)
and the merge is audited as the one who asked. Transactions and the stored configs come
through ``ports.py``; who may ask is the services' business."""

from __future__ import annotations

import logging
from typing import Any

from cairn.auth import SYSTEM, Entry, Principal
from cairn.core import Invalid, NotFound
from cairn.integrations.channels import ChannelError, ChannelRegistry, WorkPlatform
from cairn.integrations.directory_sync import merge, new_report
from cairn.integrations.ports import ChannelConfigs, Transactions
from cairn.store import im
from cairn.store import notifications as configs_store

log = logging.getLogger(__name__)

#: The most runs one listing returns.
MAX_RUNS = 100


def run_public(row: Any) -> dict[str, Any]:
    """A run as the API shows it."""
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


class DirectoryImport:
    def __init__(
        self, channels: ChannelRegistry, transactions: Transactions, configs: ChannelConfigs
    ) -> None:
        self.channels = channels
        self.tx = transactions
        self.configs = configs

    def run(self, key: str, trigger: str, principal: Principal) -> dict[str, Any]:
        """Read the directory of the config ``key`` and merge it: the run with its report
        (``failed`` with the platform's error in it when the platform could not be read)."""
        with self.tx.unit(write=False) as work:
            config = self.configs.load(work.conn, key)
        if config is None:
            raise NotFound("channel.not_found", key=key)
        ch = self.channels.get(config.kind)
        if not isinstance(ch, WorkPlatform):
            raise Invalid.on("channel", "directory.not_a_platform", channel=key)
        with self.tx.unit() as work:
            run_id = im.start_run(
                work.conn, work.now, channel=key, trigger=trigger, actor_id=principal.user_id
            )
        report, status = new_report(), "failed"
        try:
            if not config.enabled:
                raise ChannelError("the channel is disabled", False, channel=key)
            directory = ch.directory(config)  # outside any transaction: many HTTP calls
            with self.tx.unit(principal=principal) as work:
                report = merge(work.conn, work.now, ch, directory)
                status = "partial" if report["errors"] else "ok"
                work.audit(
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
        with self.tx.unit() as work:
            im.finish_run(work.conn, run_id, work.now, status, report)
            return run_public(im.run(work.conn, run_id))

    def runs(self, channel: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Runs, newest first (of one config, or all)."""
        with self.tx.unit(write=False) as work:
            return [run_public(r) for r in im.runs(work.conn, channel, min(limit, MAX_RUNS))]

    def daily(self) -> list[dict[str, Any]]:
        """The nightly sync of every enabled config with ``daily_sync`` on."""
        with self.tx.unit(write=False) as work:
            keys = [
                r["key"]
                for r in configs_store.list_configs(work.conn)
                if r["enabled"]
                and r["kind"] in self.channels
                and isinstance(self.channels.get(r["kind"]), WorkPlatform)
                and (r["settings"] or {}).get("daily_sync")
            ]
        out = []
        for key in keys:
            try:
                out.append(self.run(key, "daily", SYSTEM))
            except Exception:  # one config's failure does not stop the others
                log.exception("daily directory sync from %s failed", key)
        return out
