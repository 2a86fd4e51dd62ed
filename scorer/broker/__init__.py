"""The broker's roles and the scorer's administration of station logins (docs/SCALING.md 4)."""

from scorer.broker.admin import (
    CONTROL_TOPIC,
    RESPONSE_TOPIC,
    BrokerAdmin,
    BrokerAdminError,
    DynSecAdmin,
    NoBrokerAdmin,
    probe_admin,
)
from scorer.broker.roles import (
    ADOPT_LEVEL,
    ENROL_ROLE,
    ENROL_USER,
    SCORER_ROLE,
    SCORER_USER,
    station_role,
    topic,
)

__all__ = [
    "ADOPT_LEVEL",
    "CONTROL_TOPIC",
    "ENROL_ROLE",
    "ENROL_USER",
    "RESPONSE_TOPIC",
    "SCORER_ROLE",
    "SCORER_USER",
    "BrokerAdmin",
    "BrokerAdminError",
    "DynSecAdmin",
    "NoBrokerAdmin",
    "probe_admin",
    "station_role",
    "topic",
]
