"""The WeCom (企业微信) server API of a self-built application, as its published docs describe
it (https://developer.work.weixin.qq.com/document/path/90664 and on):

- ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → ``{errcode, access_token, expires_in}``,
  kept and renewed as ``work_api.WorkApi`` does (errcode 40014 invalid, 42001 expired);
- ``POST /cgi-bin/message/send`` an application message to one member (``touser``); a member
  WeCom does not know comes back in ``invaliduser`` with errcode 0: that is a failure here;
- ``POST /cgi-bin/message/update_template_card`` with the ``response_code`` of a sent card;
- ``GET /cgi-bin/department/list`` (every department below the root at once) and
  ``GET /cgi-bin/user/list?department_id=`` (the members of one department; WeCom does not
  page this call).

Every answer is ``{"errcode": 0, ...}`` on success; -1 (busy), 45009 and 45033 (rate limits)
are worth retrying, other codes are not."""

from __future__ import annotations

from typing import Any

from cairn.integrations.channels.work_api import WorkApi

#: Busy, or the API's frequency limit: later may work.
RETRY_CODES = frozenset({-1, 45009, 45033})


class WeComApi(WorkApi):
    gettoken_path = "/cgi-bin/gettoken"
    credentials = (("corpid", "corp_id"), ("corpsecret", "secret"))
    retry_codes = RETRY_CODES

    def send_notice(self, userid: str, msg: dict[str, Any]) -> dict[str, Any]:
        """An application message (``msg``: msgtype and its part) to one member."""
        body = {"touser": userid, "agentid": self.agent_id, **msg}
        data = self.call("POST", "/cgi-bin/message/send", body=body, to=userid)
        if data.get("invaliduser") or data.get("unlicenseduser"):
            raise self.fail(f"WeCom does not know the member '{userid}'", False, userid)
        return data

    def update_card(self, userid: str, response_code: str, replace_name: str) -> dict[str, Any]:
        """Turn the button of a sent task card into ``replace_name`` (e.g. 已处理)."""
        body = {
            "userids": [userid],
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": {"replace_name": replace_name},
        }
        return self.call("POST", "/cgi-bin/message/update_template_card", body=body, to=userid)

    def departments(self) -> list[dict[str, Any]]:
        """Every department the application may see: ``{id, name, parentid, order}`` each."""
        data = self.call("GET", "/cgi-bin/department/list")
        return list(data.get("department") or [])

    def users(self, department_id: str) -> list[dict[str, Any]]:
        """The members of one department (``userid``, ``name``, ``department``,
        ``main_department``, ``mobile``, ``email``, ``status`` where WeCom still gives them)."""
        data = self.call("GET", "/cgi-bin/user/list", params={"department_id": department_id})
        return list(data.get("userlist") or [])
