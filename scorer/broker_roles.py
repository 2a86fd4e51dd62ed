"""The broker's roles as data: logins, role names and ACLs of the benchscore contract.

Used by ``scorer.broker_admin`` (commands to a running broker) and ``scorer.broker_setup``
(the files of a new hall). ``docs/SCALING.md`` section 4 is the human description:

* ``benchscore-scorer`` (roles ``benchscore-scorer`` and the dynsec ``admin`` role): subscribes
  ``benchscore/v1/#`` (also as ``$share/<group>/benchscore/v1/...``), publishes
  ``.../+/+/ack``, ``.../+/+/cmd``, ``.../_adopt/+/adopt``;
* ``enrol`` (role ``benchscore-enrol``, the claim credential every Pi carries): publishes
  ``.../_adopt/+/hello``, subscribes ``.../_adopt/+/adopt``;
* per adopted station ``<id>``: client ``<id>`` with the fixed client id ``<id>`` and role
  ``station-<id>``: publishes ``.../<event>/<id>/{status,live,record,reply}``, subscribes
  ``.../<event>/<id>/{ack,cmd}``. Mosquitto 2.0.x does not substitute ``%u``/``%c`` in dynsec
  ACLs, so every station has a role of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from benchscore.protocol import (
    ADOPT_EVENT,
    AUDIT_TOPIC,
    PROTOCOL,
    ROOT,
    SCORER_KINDS,
    STATION_KINDS,
    check_id,
)

ADOPT_LEVEL: Final = ADOPT_EVENT
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
    sends.append(AUDIT_TOPIC)
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
