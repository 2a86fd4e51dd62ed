"""The scorer as the broker's administrator: station clients and roles in Mosquitto's dynsec.

The contract (``docs/PROTOCOL.md``, "Broker roles") in one place:

* ``benchscore-scorer`` (roles ``benchscore-scorer`` and the dynsec ``admin`` role): subscribes
  ``benchscore/v1/#`` (also as ``$share/<group>/benchscore/v1/...``), publishes
  ``.../+/+/ack``, ``.../+/+/cmd``, ``.../_adopt/+/adopt``;
* ``enrol`` (role ``benchscore-enrol``, the claim credential every Pi carries): publishes
  ``.../_adopt/+/hello``, subscribes ``.../_adopt/+/adopt``;
* per adopted station ``<id>``: client ``<id>`` with the fixed client id ``<id>`` and role
  ``station-<id>``: publishes ``.../<event>/<id>/{status,live,record,reply}``, subscribes
  ``.../<event>/<id>/{ack,cmd}``. Mosquitto 2.0.x does not substitute ``%u``/``%c`` in dynsec
  ACLs, so every station has a role of its own.

:class:`DynSecAdmin` talks to the plugin over the caller's connected paho client (commands on
``$CONTROL/dynamic-security/v1``, replies matched by ``correlationData``). :class:`NoBrokerAdmin`
stands in for brokers configured with plain password and ACL files.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Final, Protocol

import paho.mqtt.client as mqtt

from benchscore.protocol import PROTOCOL, ROOT, SCORER_KINDS, STATION_KINDS, check_id

log = logging.getLogger(__name__)

CONTROL_TOPIC: Final = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC: Final = f"{CONTROL_TOPIC}/response"
ADOPT_LEVEL: Final = "_adopt"
"""Event-level topic segment of the adoption topics (ids never start with ``_``)."""
SCORER_USER: Final = "benchscore-scorer"
SCORER_ROLE: Final = "benchscore-scorer"
ENROL_USER: Final = "enrol"
ENROL_ROLE: Final = "benchscore-enrol"
ADMIN_ROLE: Final = "admin"
"""The role ``mosquitto_ctrl dynsec init`` gives the admin client."""
STATION_ROLE_PREFIX: Final = "station-"
DEFAULT_ACL_ACCESS: Final = {
    "publishClientSend": False,
    "publishClientReceive": True,
    "subscribe": False,
    "unsubscribe": True,
}
"""Default access: nothing may be published or subscribed unless a role allows it."""


def topic(*levels: str) -> str:
    """``benchscore/v1/<levels...>``: the one place the topic root is joined."""
    return "/".join((ROOT, PROTOCOL, *levels))


@dataclass(frozen=True)
class Acl:
    """One dynsec ACL entry (allow; priority -1, the plugin's default)."""

    acltype: str
    topic: str
    allow: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"acltype": self.acltype, "topic": self.topic, "allow": self.allow}


def scorer_acls() -> list[Acl]:
    """ACLs of the ``benchscore-scorer`` role."""
    sends = [topic("+", "+", kind) for kind in SCORER_KINDS]
    sends.append(topic(ADOPT_LEVEL, "+", "adopt"))
    return [Acl("publishClientSend", t) for t in sends] + [
        Acl("subscribePattern", topic("#")),
        # Mosquitto 2.0 checks a shared subscription's whole filter, "$share/<group>/..."
        # included: scorer workers (docs/SCALING.md) need this to split the same messages.
        Acl("subscribePattern", "$share/+/" + topic("#")),
    ]


def enrol_acls() -> list[Acl]:
    """ACLs of the ``benchscore-enrol`` role: announce, and wait for the adoption."""
    return [
        Acl("publishClientSend", topic(ADOPT_LEVEL, "+", "hello")),
        Acl("subscribePattern", topic(ADOPT_LEVEL, "+", "adopt")),
    ]


def admin_acls() -> list[Acl]:
    """ACLs of the dynsec ``admin`` role as hall init leaves it: the control topics and $SYS.

    ``mosquitto_ctrl dynsec init`` also grants ``#`` (subscribe and receive); hall init removes
    that so the scorer's application rights are exactly those of its own role.
    """
    control = "$CONTROL/dynamic-security/#"
    return [
        Acl("publishClientSend", control),
        Acl("publishClientReceive", control),
        Acl("subscribePattern", control),
        Acl("publishClientReceive", "$SYS/#"),
        Acl("subscribePattern", "$SYS/#"),
        Acl("unsubscribePattern", "#"),
    ]


def station_role(station_id: str) -> str:
    """The dynsec role name of one station."""
    return STATION_ROLE_PREFIX + check_id(station_id, "station id")


def station_acls(station_id: str, event: str) -> list[Acl]:
    """ACLs of ``station-<id>``: its own four publish topics and its own ack and cmd."""
    check_id(station_id, "station id")
    check_id(event, "event id")
    return [Acl("publishClientSend", topic(event, station_id, k)) for k in STATION_KINDS] + [
        Acl("subscribeLiteral", topic(event, station_id, k)) for k in SCORER_KINDS
    ]


class BrokerAdminError(RuntimeError):
    """The broker refused a command, or did not answer; names the command and the reason."""

    def __init__(self, command: str, error: str) -> None:
        super().__init__(f"broker refused {command}: {error}")
        self.command = command
        self.error = error


class BrokerAdmin(Protocol):
    """What the scorer does to the broker when it adopts, replaces or revokes a station."""

    def ensure_roles(self, enrol_password: str | None = None) -> None: ...
    def enrol_station(self, station_id: str, event: str, password: str) -> None: ...
    def set_station_password(self, station_id: str, password: str) -> None: ...
    def revoke_station(self, station_id: str) -> None: ...
    def restore_station(self, station_id: str) -> None: ...
    def delete_station(self, station_id: str) -> None: ...
    def list_clients(self) -> list[str]: ...
    def station_client(self, station_id: str) -> dict[str, Any] | None: ...


class NoBrokerAdmin:
    """For brokers without dynamic security: station logins live in the password/ACL files.

    Every method does nothing; the first call logs once that the broker is managed by hand
    (``scorer.broker_setup.write_plain_broker``, ``config/mosquitto/benchscore.conf``).
    """

    def __init__(self) -> None:
        self._told = False

    def _tell(self) -> None:
        if not self._told:
            self._told = True
            log.warning(
                "broker has no dynamic security: station logins are not created or revoked "
                "by the scorer; manage the broker's password and ACL files by hand"
            )

    def ensure_roles(self, enrol_password: str | None = None) -> None:
        self._tell()

    def enrol_station(self, station_id: str, event: str, password: str) -> None:
        self._tell()

    def set_station_password(self, station_id: str, password: str) -> None:
        self._tell()

    def revoke_station(self, station_id: str) -> None:
        self._tell()

    def restore_station(self, station_id: str) -> None:
        self._tell()

    def delete_station(self, station_id: str) -> None:
        self._tell()

    def list_clients(self) -> list[str]:
        self._tell()
        return []

    def station_client(self, station_id: str) -> dict[str, Any] | None:
        self._tell()
        return None


class _Pending:
    """Replies awaited for one request, keyed by correlation id."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = set(ids)
        self.replies: dict[str, dict[str, Any]] = {}
        self.done = threading.Event()


class DynSecAdmin:
    """:class:`BrokerAdmin` over Mosquitto's dynamic security plugin.

    ``client`` is the caller's paho client, connected with the ``benchscore-scorer`` login and
    running its network loop (``loop_start``). Methods block up to ``timeout_s`` seconds for the
    broker's reply; never call them from a paho callback (the reply would never be read).
    """

    def __init__(
        self,
        client: mqtt.Client,
        *,
        timeout_s: float = 5.0,
        scorer_username: str = SCORER_USER,
    ) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.scorer_username = scorer_username
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        client.message_callback_add(RESPONSE_TOPIC, self._on_response)

    # -- transport -------------------------------------------------------------------------
    def _on_response(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(msg.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            log.warning("dynsec: unreadable reply %r", msg.payload[:200])
            return
        for reply in responses if isinstance(responses, list) else []:
            cid = reply.get("correlationData") if isinstance(reply, dict) else None
            if not isinstance(cid, str):
                continue
            with self._lock:
                pending = self._pending.get(cid)
                if pending is None:
                    continue  # another worker's reply, or one that came after our timeout
                pending.replies[cid] = reply
                if pending.ids <= pending.replies.keys():
                    pending.done.set()

    def request(
        self, commands: list[dict[str, Any]], tolerate: frozenset[str] = frozenset()
    ) -> list[dict[str, Any]]:
        """Send ``commands`` in one message; return each reply's ``data`` (``{}`` if none).

        An error reply raises :class:`BrokerAdminError` for the first failed command, unless
        its text is in ``tolerate`` (then its data is ``{}``).
        """
        if getattr(self.client, "_thread", None) is threading.current_thread():
            raise BrokerAdminError(commands[0]["command"], "called from the MQTT loop thread")
        ids = [uuid.uuid4().hex for _ in commands]
        pending = _Pending(ids)
        body = {
            "commands": [dict(c, correlationData=i) for c, i in zip(commands, ids, strict=True)]
        }
        with self._lock:
            for i in ids:
                self._pending[i] = pending
        try:
            # Subscribing again is cheap and survives a reconnect with a clean session; the
            # broker handles this client's SUBSCRIBE before its PUBLISH, so no reply is missed.
            self.client.subscribe(RESPONSE_TOPIC, qos=1)
            info = self.client.publish(CONTROL_TOPIC, json.dumps(body), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerAdminError(commands[0]["command"], "not connected to the broker")
            if not pending.done.wait(self.timeout_s):
                missing = [
                    c["command"]
                    for c, i in zip(commands, ids, strict=True)
                    if i not in pending.replies
                ]
                raise BrokerAdminError(
                    ",".join(missing),
                    f"no reply within {self.timeout_s:g} s (is the dynamic security plugin "
                    f"loaded and is {self.scorer_username} its admin?)",
                )
        finally:
            with self._lock:
                for i in ids:
                    self._pending.pop(i, None)
        out: list[dict[str, Any]] = []
        for cmd, i in zip(commands, ids, strict=True):
            reply = pending.replies[i]
            error = reply.get("error")
            if error is not None and str(error) not in tolerate:
                raise BrokerAdminError(_describe(cmd), str(error))
            data = reply.get("data")
            out.append(data if isinstance(data, dict) and error is None else {})
        return out

    # -- roles -----------------------------------------------------------------------------
    def ensure_roles(self, enrol_password: str | None = None) -> None:
        """Make the base policy exactly the contract's; idempotent.

        Creates or corrects the ``benchscore-scorer`` and ``benchscore-enrol`` roles, sets the
        default access, creates the ``enrol`` client when it is missing and ``enrol_password``
        is given, and gives the scorer its role if it lacks it. Changing a role the scorer
        holds makes the broker drop the scorer's session before any reply, so those changes go
        last and unanswered (paho reconnects); ``hall init`` writes the policy into the file, so
        normally nothing needs changing.
        """
        own = self._role_fixes(SCORER_ROLE, scorer_acls())
        enrol_fixes = self._role_fixes(ENROL_ROLE, enrol_acls())
        scorer, enrol = self.request(
            [{"command": "getClient", "username": u} for u in (self.scorer_username, ENROL_USER)],
            tolerate=frozenset({"Client not found"}),
        )
        commands: list[dict[str, Any]] = enrol_fixes + [
            {
                "command": "setDefaultACLAccess",
                "acls": [{"acltype": k, "allow": v} for k, v in DEFAULT_ACL_ACCESS.items()],
            },
        ]
        # addClientRole for a role the client already has fails ("Internal error" in 2.0.11).
        if enrol and ENROL_ROLE not in _role_names(enrol):
            commands.append(
                {"command": "addClientRole", "username": ENROL_USER, "rolename": ENROL_ROLE}
            )
        elif not enrol and enrol_password is not None:
            commands.append(
                {
                    "command": "createClient",
                    "username": ENROL_USER,
                    "password": enrol_password,
                    "textname": "station claim login",
                    "roles": [{"rolename": ENROL_ROLE}],
                }
            )
            log.info("broker: creating the %s client", ENROL_USER)
        elif not enrol:
            log.warning("broker: no %s client: unadopted stations cannot log in", ENROL_USER)
        self.request(commands)
        if SCORER_ROLE not in _role_names(scorer):
            own.append(
                {
                    "command": "addClientRole",
                    "username": self.scorer_username,
                    "rolename": SCORER_ROLE,
                }
            )
        if own:
            log.warning(
                "broker: %d changes to %s's own rights; the broker drops this session once",
                len(own),
                self.scorer_username,
            )
            self.client.publish(CONTROL_TOPIC, json.dumps({"commands": own}), qos=1)

    def _role_fixes(self, rolename: str, acls: list[Acl]) -> list[dict[str, Any]]:
        """Create ``rolename`` if missing (now); else return the commands that would correct it."""
        got = self.request(
            [{"command": "getRole", "rolename": rolename}], tolerate=frozenset({"Role not found"})
        )[0]
        if not got:
            self.request(
                [
                    {
                        "command": "createRole",
                        "rolename": rolename,
                        "acls": [a.as_json() for a in acls],
                    }
                ]
            )
            log.info("broker: created role %s", rolename)
            return []
        have = {_acl_key(a) for a in got.get("role", {}).get("acls", [])}
        want = {(a.acltype, a.topic, a.allow) for a in acls}
        if have != want:
            log.info("broker: correcting role %s", rolename)
        return [
            {"command": "removeRoleACL", "rolename": rolename, "acltype": t, "topic": top}
            for t, top, _allow in sorted(have - want)
        ] + [
            {
                "command": "addRoleACL",
                "rolename": rolename,
                "acltype": t,
                "topic": top,
                "allow": allow,
            }
            for t, top, allow in sorted(want - have)
        ]

    # -- stations --------------------------------------------------------------------------
    def enrol_station(self, station_id: str, event: str, password: str) -> None:
        """Create (or replace) client and role ``station-<id>``; a connected session is kicked."""
        role = station_role(station_id)
        acls = station_acls(station_id, event)
        self.request(
            [
                {"command": "deleteClient", "username": station_id},
                {"command": "deleteRole", "rolename": role},
                {"command": "createRole", "rolename": role, "acls": [a.as_json() for a in acls]},
                {
                    "command": "createClient",
                    "username": station_id,
                    "clientid": station_id,
                    "password": password,
                    "textname": f"station {station_id} of {event}",
                    "roles": [{"rolename": role}],
                },
            ],
            tolerate=frozenset({"Client not found", "Role not found"}),
        )
        log.info("broker: enrolled station %s (event %s)", station_id, event)

    def set_station_password(self, station_id: str, password: str) -> None:
        """New password for a station's client; the broker drops the session using the old one."""
        self.request(
            [{"command": "setClientPassword", "username": _sid(station_id), "password": password}]
        )
        log.info("broker: new password for station %s", station_id)

    def revoke_station(self, station_id: str) -> None:
        """Disable a station's client: the broker disconnects it and refuses its logins."""
        self.request([{"command": "disableClient", "username": _sid(station_id)}])
        log.info("broker: revoked station %s", station_id)

    def restore_station(self, station_id: str) -> None:
        """Enable a revoked station's client again."""
        self.request([{"command": "enableClient", "username": _sid(station_id)}])
        log.info("broker: restored station %s", station_id)

    def delete_station(self, station_id: str) -> None:
        """Delete a station's client and role (nothing happens if they do not exist)."""
        self.request(
            [
                {"command": "deleteClient", "username": _sid(station_id)},
                {"command": "deleteRole", "rolename": station_role(station_id)},
            ],
            tolerate=frozenset({"Client not found", "Role not found"}),
        )
        log.info("broker: deleted station %s", station_id)

    def list_clients(self) -> list[str]:
        """Usernames of every client the plugin knows (admin, enrol and stations)."""
        data = self.request([{"command": "listClients", "verbose": False, "count": -1}])[0]
        return [str(c) for c in data.get("clients", [])]

    def station_client(self, station_id: str) -> dict[str, Any] | None:
        """The plugin's record of a station's client (``disabled: true`` if revoked), or None."""
        data = self.request(
            [{"command": "getClient", "username": _sid(station_id)}],
            tolerate=frozenset({"Client not found"}),
        )[0]
        client = data.get("client")
        return client if isinstance(client, dict) else None


def probe_admin(
    client: mqtt.Client, timeout_s: float = 2.0, admin_timeout_s: float = 5.0
) -> BrokerAdmin:
    """A :class:`DynSecAdmin` if the broker answers a dynsec command within ``timeout_s``
    seconds, else :class:`NoBrokerAdmin`. ``client`` is connected and runs its loop."""
    admin = DynSecAdmin(client, timeout_s=timeout_s)
    try:
        admin.request([{"command": "getDefaultACLAccess"}])
    except BrokerAdminError as exc:
        log.info("broker: no dynamic security (%s)", exc.error)
        client.message_callback_remove(RESPONSE_TOPIC)
        return NoBrokerAdmin()
    admin.timeout_s = admin_timeout_s
    return admin


def _sid(station_id: str) -> str:
    return check_id(station_id, "station id")


def _role_names(reply: dict[str, Any]) -> set[str]:
    """Role names in a ``getClient`` reply's data."""
    roles = reply.get("client", {}).get("roles", [])
    return {str(r.get("rolename")) for r in roles if isinstance(r, dict)}


def _acl_key(acl: dict[str, Any]) -> tuple[str, str, bool]:
    return (str(acl.get("acltype")), str(acl.get("topic")), bool(acl.get("allow")))


def _describe(command: dict[str, Any]) -> str:
    """``createClient st01``: the command and the name it acted on."""
    name = command.get("username") or command.get("rolename") or ""
    return f"{command['command']} {name}".strip()
