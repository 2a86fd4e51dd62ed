"""The broker's roles on a real Mosquitto with dynamic security, managed by DynSecAdmin."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.mqtt import reason_is_failure
from benchscore.protocol import subscription
from scorer.broker_admin import (
    CONTROL_TOPIC,
    SCORER_ROLE,
    BrokerAdminError,
    DynSecAdmin,
    NoBrokerAdmin,
    probe_admin,
    scorer_acls,
    topic,
)
from scorer.broker_setup import BrokerSetupError, plain_acl_text, write_dynsec_broker
from tests.support.brokers import DynSecMosquitto, MqttPeer, PlainMosquitto

REPO = Path(__file__).resolve().parent.parent
EVENT = "ev1"
KID = "0123456789abcdef"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[DynSecMosquitto]:
    b = DynSecMosquitto(tmp_path).start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def peers() -> Iterator[list[MqttPeer]]:
    made: list[MqttPeer] = []
    yield made
    for p in made:
        p.close()


def peer(
    peers: list[MqttPeer],
    broker: DynSecMosquitto | PlainMosquitto,
    client_id: str,
    username: str | None,
    password: str | None,
    protocol: str = "5",
) -> MqttPeer:
    p = MqttPeer(broker.port, client_id, username, password, protocol)
    peers.append(p)
    return p


def scorer(peers: list[MqttPeer], broker: DynSecMosquitto, protocol: str = "5") -> MqttPeer:
    p = peer(
        peers, broker, "benchscore-scorer", "benchscore-scorer", broker.scorer_password, protocol
    )
    assert p.connect()
    return p


def not_authorised(rc: object) -> bool:
    return reason_is_failure(rc) and "authori" in str(rc).lower()


def drain_until(p: MqttPeer, marker_topic: str) -> list[str]:
    """Topics received up to and including ``marker_topic`` (publisher order is kept)."""
    seen: list[str] = []
    while True:
        msg = p.next_message()
        seen.append(msg.topic)
        if msg.topic == marker_topic:
            return seen


def test_anonymous_and_wrong_passwords_are_refused(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    assert not peer(peers, broker, "anon", None, None).connect()
    assert not peer(peers, broker, "anon311", None, None, "3.1.1").connect()
    assert not peer(peers, broker, "x", "benchscore-scorer", "wrong").connect()
    assert not peer(peers, broker, "y", "enrol", "wrong").connect()
    assert peer(peers, broker, "z", "enrol", broker.enrol_password).connect()


def test_scorer_role(broker: DynSecMosquitto, peers: list[MqttPeer]) -> None:
    s = scorer(peers, broker)
    assert s.subscribe(topic("#"))
    for f in subscription(EVENT):
        assert s.subscribe(f)
    assert s.subscribe("$share/scorers/" + topic("+", "+", "record"))
    assert not s.subscribe("#")  # init's "#" grant was taken out of the admin role
    assert not s.subscribe("other/#")

    admin = DynSecAdmin(s.client)
    admin.enrol_station("st01", EVENT, "pw-st01")
    st = peer(peers, broker, "st01", "st01", "pw-st01")
    assert st.connect()
    assert st.subscribe(topic(EVENT, "st01", "ack"))
    assert st.subscribe(topic(EVENT, "st01", "cmd"))
    enrol = peer(peers, broker, "pi-" + KID, "enrol", broker.enrol_password)
    assert enrol.connect()

    assert not reason_is_failure(s.publish(topic(EVENT, "st01", "ack")))
    assert not reason_is_failure(s.publish(topic(EVENT, "st01", "cmd")))
    assert not reason_is_failure(s.publish(topic("_adopt", KID, "adopt"), b"a", retain=True))
    assert [st.next_message().topic for _ in range(2)] == [
        topic(EVENT, "st01", "ack"),
        topic(EVENT, "st01", "cmd"),
    ]
    assert enrol.subscribe(topic("_adopt", KID, "adopt"))
    adopt = enrol.next_message()
    assert (adopt.topic, adopt.retain) == (topic("_adopt", KID, "adopt"), True)

    # the scorer cannot speak for a station, nor announce itself as one
    assert not_authorised(s.publish(topic(EVENT, "st01", "record")))
    assert not_authorised(s.publish(topic("_adopt", KID, "hello")))


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_enrol_login_may_only_announce(
    broker: DynSecMosquitto, peers: list[MqttPeer], protocol: str
) -> None:
    s = scorer(peers, broker)
    assert s.subscribe(topic("#"))
    enrol = peer(peers, broker, "pi-" + KID, "enrol", broker.enrol_password, protocol)
    assert enrol.connect()
    forged = topic(EVENT, "st01", "record")
    rc = enrol.publish(forged)
    if protocol == "5":
        assert not_authorised(rc)
    enrol.publish(topic(EVENT, "st01", "status"))
    enrol.publish(topic("_adopt", KID, "adopt"))
    hello = topic("_adopt", KID, "hello")
    assert not reason_is_failure(enrol.publish(hello))
    assert drain_until(s, hello) == [hello]  # nothing but the hello reached the scorer
    assert not enrol.subscribe(topic("#"))
    assert not enrol.subscribe(topic(EVENT, "st01", "ack"))
    assert enrol.subscribe(topic("_adopt", KID, "adopt"))


def test_station_login_is_bound_to_its_client_id(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    admin = DynSecAdmin(scorer(peers, broker).client)
    admin.enrol_station("st01", EVENT, "pw-st01")
    admin.enrol_station("st02", EVENT, "pw-st02")
    for cid in ("other", "benchscore-scorer", "st02"):
        assert not peer(peers, broker, cid, "st01", "pw-st01").connect(), cid
        assert not peer(peers, broker, cid, "st01", "pw-st01", "3.1.1").connect(), cid
    assert not peer(peers, broker, "st01", "st01", "pw-st02").connect()
    assert peer(peers, broker, "st01", "st01", "pw-st01").connect()
    assert admin.station_client("st01") == {
        "username": "st01",
        "clientid": "st01",
        "textname": f"station st01 of {EVENT}",
        "roles": [{"rolename": "station-st01"}],
        "groups": [],
    }
    assert set(admin.list_clients()) == {"benchscore-scorer", "enrol", "st01", "st02"}


def test_station_role_covers_only_its_own_topics(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    s = scorer(peers, broker)
    assert s.subscribe(topic("#"))
    DynSecAdmin(s.client).enrol_station("st01", EVENT, "pw-st01")
    st = peer(peers, broker, "st01", "st01", "pw-st01")
    assert st.connect()
    for kind in ("status", "live", "record", "reply"):
        assert not reason_is_failure(st.publish(topic(EVENT, "st01", kind))), kind
    for forged in (
        topic(EVENT, "st02", "record"),
        topic("ev2", "st01", "record"),
        topic(EVENT, "st01", "ack"),
        topic("_adopt", KID, "hello"),
    ):
        assert not_authorised(st.publish(forged)), forged
    assert drain_until(s, topic(EVENT, "st01", "reply")) == [
        topic(EVENT, "st01", k) for k in ("status", "live", "record", "reply")
    ]
    assert st.subscribe(topic(EVENT, "st01", "ack"))
    assert st.subscribe(topic(EVENT, "st01", "cmd"))
    for other in (
        topic(EVENT, "st02", "ack"),
        topic(EVENT, "st01", "+"),
        topic("#"),
        topic(EVENT, "st01", "record"),
    ):
        assert not st.subscribe(other), other


def test_enrol_again_replaces_the_role(broker: DynSecMosquitto, peers: list[MqttPeer]) -> None:
    admin = DynSecAdmin(scorer(peers, broker).client)
    admin.enrol_station("st01", EVENT, "old")
    admin.enrol_station("st01", "ev2", "new")
    assert not peer(peers, broker, "st01", "st01", "old").connect()
    st = peer(peers, broker, "st01", "st01", "new")
    assert st.connect()
    assert not_authorised(st.publish(topic(EVENT, "st01", "record")))
    assert not reason_is_failure(st.publish(topic("ev2", "st01", "record")))


def test_revoke_drops_the_station_within_2_s_and_restore_lets_it_back(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    admin = DynSecAdmin(scorer(peers, broker).client)
    admin.enrol_station("st01", EVENT, "pw-st01")
    st = peer(peers, broker, "st01", "st01", "pw-st01")
    assert st.connect()
    admin.revoke_station("st01")
    t0 = time.monotonic()
    assert st.dropped.wait(2.0)
    assert time.monotonic() - t0 < 2.0
    assert not peer(peers, broker, "st01", "st01", "pw-st01").connect()
    assert (admin.station_client("st01") or {}).get("disabled") is True
    admin.restore_station("st01")
    assert peer(peers, broker, "st01", "st01", "pw-st01").connect()


def test_new_password_kicks_the_old_session(broker: DynSecMosquitto, peers: list[MqttPeer]) -> None:
    admin = DynSecAdmin(scorer(peers, broker).client)
    admin.enrol_station("st01", EVENT, "old-pi")
    old = peer(peers, broker, "st01", "st01", "old-pi")
    assert old.connect()
    admin.set_station_password("st01", "new-pi")
    assert old.dropped.wait(2.0)
    assert not peer(peers, broker, "st01", "st01", "old-pi").connect()
    assert peer(peers, broker, "st01", "st01", "new-pi").connect()


def test_state_survives_a_broker_restart(broker: DynSecMosquitto, peers: list[MqttPeer]) -> None:
    s = scorer(peers, broker)
    admin = DynSecAdmin(s.client)
    admin.enrol_station("st01", EVENT, "pw-st01")
    admin.enrol_station("st02", EVENT, "pw-st02")
    admin.revoke_station("st02")
    s.close()
    broker.stop()
    saved = json.loads(broker.dynsec_file.read_text())
    assert {c["username"] for c in saved["clients"]} >= {"st01", "st02"}
    broker.start()
    assert peer(peers, broker, "st01", "st01", "pw-st01").connect()
    assert not peer(peers, broker, "st02", "st02", "pw-st02").connect()
    admin = DynSecAdmin(scorer(peers, broker).client)
    assert (admin.station_client("st02") or {}).get("disabled") is True


def test_errors_name_the_command_and_delete_is_idempotent(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    admin = DynSecAdmin(scorer(peers, broker).client)
    with pytest.raises(BrokerAdminError, match="disableClient nope: Client not found"):
        admin.revoke_station("nope")
    with pytest.raises(BrokerAdminError, match="setClientPassword nope: Client not found"):
        admin.set_station_password("nope", "x")
    with pytest.raises(ValueError, match="station id"):
        admin.enrol_station("../x", EVENT, "x")
    assert admin.station_client("nope") is None
    admin.enrol_station("st01", EVENT, "pw")
    admin.delete_station("st01")
    admin.delete_station("st01")
    assert admin.station_client("st01") is None
    assert "st01" not in admin.list_clients()


def test_ensure_roles_repairs_the_base_policy(
    broker: DynSecMosquitto, peers: list[MqttPeer]
) -> None:
    def send_unanswered(p: MqttPeer, commands: list[dict[str, object]]) -> None:
        """Changes to the scorer's own rights kick it before any reply."""
        p.client.publish(CONTROL_TOPIC, json.dumps({"commands": commands}))
        assert p.dropped.wait(2.0)

    s = scorer(peers, broker)
    send_unanswered(
        s,
        [
            {
                "command": "removeRoleACL",
                "rolename": SCORER_ROLE,
                "acltype": "subscribePattern",
                "topic": topic("#"),
            },
            {
                "command": "addRoleACL",
                "rolename": SCORER_ROLE,
                "acltype": "publishClientSend",
                "topic": "#",
                "allow": True,
            },
            {"command": "deleteClient", "username": "enrol"},
        ],
    )
    s1 = scorer(peers, broker)
    assert not s1.subscribe(topic("#"))
    assert not reason_is_failure(s1.publish(topic(EVENT, "st01", "record")))
    send_unanswered(
        s1,
        [{"command": "removeClientRole", "username": "benchscore-scorer", "rolename": SCORER_ROLE}],
    )
    s2 = scorer(peers, broker)
    assert not s2.subscribe(topic("+", "+", "record"))
    DynSecAdmin(s2.client).ensure_roles(enrol_password="fresh")
    assert s2.dropped.wait(2.0)  # its own rights changed: the scorer's session dropped once
    s3 = scorer(peers, broker)
    admin = DynSecAdmin(s3.client)
    admin.ensure_roles()  # idempotent: nothing changes, the session stays
    role = admin.request([{"command": "getRole", "rolename": SCORER_ROLE}])[0]["role"]
    assert sorted((a["acltype"], a["topic"]) for a in role["acls"]) == sorted(
        (a.acltype, a.topic) for a in scorer_acls()
    )
    assert s3.subscribe(topic("#"))
    assert not not_authorised(s3.publish(topic(EVENT, "st01", "ack")))
    assert not_authorised(s3.publish(topic(EVENT, "st01", "record")))
    assert peer(peers, broker, "pi", "enrol", "fresh").connect()
    assert not s3.dropped.is_set()


def test_write_dynsec_broker_never_overwrites(tmp_path: Path) -> None:
    write_dynsec_broker(tmp_path, port=1883, scorer_password="a", enrol_password="b")
    before = (tmp_path / "dynamic-security.json").read_bytes()
    with pytest.raises(BrokerSetupError, match="exists"):
        write_dynsec_broker(tmp_path, port=1883, scorer_password="c", enrol_password="d")
    assert (tmp_path / "dynamic-security.json").read_bytes() == before
    assert (tmp_path / "dynamic-security.json").stat().st_mode & 0o077 == 0


def test_plain_broker_files(tmp_path: Path, peers: list[MqttPeer]) -> None:
    assert (REPO / "config/mosquitto/benchscore.acl").read_text() == plain_acl_text()
    broker = PlainMosquitto(tmp_path, {"st01": "pw-st01"}).start()
    try:
        s = peer(peers, broker, "benchscore-scorer", "benchscore-scorer", broker.scorer_password)
        assert s.connect()
        assert s.subscribe(topic("#"))
        assert not peer(peers, broker, "anon", None, None).connect()
        st = peer(peers, broker, "st01", "st01", "pw-st01")
        assert st.connect()
        st.publish(topic(EVENT, "st02", "record"))
        enrol = peer(peers, broker, "pi", "enrol", broker.enrol_password)
        assert enrol.connect()
        enrol.publish(topic(EVENT, "st01", "record"))
        st.publish(topic(EVENT, "st01", "record"))
        assert drain_until(s, topic(EVENT, "st01", "record")) == [topic(EVENT, "st01", "record")]
        # no plugin: the admin times out, and probing gives the do-nothing admin
        with pytest.raises(BrokerAdminError, match="no reply within"):
            DynSecAdmin(s.client, timeout_s=0.5).list_clients()
        assert isinstance(probe_admin(s.client, timeout_s=0.5), NoBrokerAdmin)
    finally:
        broker.stop()


def test_probe_finds_dynsec(broker: DynSecMosquitto, peers: list[MqttPeer]) -> None:
    s = scorer(peers, broker)
    admin = probe_admin(s.client)
    assert isinstance(admin, DynSecAdmin)
    assert admin.timeout_s == 5.0
