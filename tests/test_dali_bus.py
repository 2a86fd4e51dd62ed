"""python-dali's command encoding against the simulated DALI gear, byte by byte.

The station's :class:`~drivers.dali_bus.DaliBus` sends python-dali commands through
python-dali's ``atxled`` driver over a real pseudo-terminal; on the other end
:class:`~benchscore.sim.dali_hat.SimDaliHat` decodes the forward frames by the IEC 62386-102
layout (independently of python-dali) and acts on the simulated room's luminaires.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchscore.clock import SimClock
from benchscore.sim.dali_hat import SimDaliHat, decode_forward_frame
from benchscore.sim.dali_usb import SimTridonicUsb
from benchscore.sim.serial_sim import PtyInstrument, ScriptedPeer
from drivers.dali_bus import DaliBus, DaliError
from firmware_py.simulation import build_booth


@pytest.fixture
def rig() -> Iterator[tuple[DaliBus, PtyInstrument, object, SimClock]]:
    clock = SimClock()
    room = build_booth(clock)
    hat = SimDaliHat(room)
    with PtyInstrument(hat) as pty, DaliBus(pty.port) as bus:
        yield bus, pty, room, clock


def exchange(pty: PtyInstrument) -> list[tuple[bytes, bytes]]:
    pairs = [(e.request, e.reply) for e in pty.exchanges]
    pty.clear()
    return pairs


def test_dapc_goes_out_as_its_forward_frame_and_moves_the_gear(rig) -> None:
    bus, pty, room, clock = rig
    bus.direct_arc_power(200, address=0)
    assert exchange(pty) == [(b"h00C8\n", b"N\n")]  # 0AAAAAA0 = 0x00, level 200 = 0xC8
    clock.advance(2.0)
    assert room.arc_level(0) == pytest.approx(200) and room.arc_level(1) == 0
    bus.direct_arc_power(254, group=0)
    assert exchange(pty) == [(b"h80FE\n", b"N\n")]  # 100GGGG0, group 0
    bus.direct_arc_power(0, address=1)
    assert exchange(pty) == [(b"h0200\n", b"N\n")]  # short address 1: 0000 0010


def test_go_to_scene_and_off(rig) -> None:
    bus, pty, room, clock = rig
    bus.go_to_scene(1)
    assert exchange(pty) == [(b"hFF11\n", b"N\n")]  # broadcast 1111111 1, GO TO SCENE 0x10+1
    clock.advance(2.0)
    assert room.arc_level(0) == pytest.approx(223) and room.arc_level(1) == pytest.approx(223)
    bus.off(address=1)
    assert exchange(pty) == [(b"h0300\n", b"N\n")]  # 0000001 1, OFF 0x00
    clock.advance(0.5)
    assert room.arc_level(1) == 0


def test_query_actual_level_gets_the_backward_frame(rig) -> None:
    bus, pty, room, clock = rig
    bus.direct_arc_power(144, address=1)
    clock.advance(2.0)
    exchange(pty)
    assert bus.query_actual_level(1) == 144
    assert exchange(pty) == [(b"h03A0\n", b"J90\n")]  # QUERY ACTUAL LEVEL 0xA0; 144 = 0x90
    assert bus.query_actual_level(7) is None  # nobody at short address 7
    assert exchange(pty) == [(b"h0FA0\n", b"N\n")]


def test_the_decoder_follows_iec_62386_102() -> None:
    short = decode_forward_frame(0x7F05)
    assert (short.target, short.address, short.is_command, short.opcode) == ("short", 63, True, 5)
    group = decode_forward_frame(0x9E80)
    assert (group.target, group.address, group.is_command, group.opcode) == (
        "group",
        15,
        False,
        128,
    )
    assert decode_forward_frame(0xFE10).target == "broadcast"
    assert decode_forward_frame(0xFD00).target == "unaddressed"
    special = decode_forward_frame(0xA300)  # DTR0
    assert special.target == "special" and special.opcode == 0xA3
    with pytest.raises(ValueError):
        decode_forward_frame(0x10000)


def test_a_port_that_is_not_there_is_one_plain_error(tmp_path) -> None:
    with pytest.raises(DaliError, match=r"DALI interface atxled on .*nope"):
        DaliBus(str(tmp_path / "nope"))
    with pytest.raises(DaliError, match="not one of"):
        DaliBus(str(tmp_path / "nope"), interface="hasseb")


# -- the Tridonic/Lunatone DALI USB (HID reports, python-dali's asyncio driver) -------------


@pytest.fixture
def usb() -> Iterator[tuple[DaliBus, PtyInstrument, object, SimClock]]:
    clock = SimClock()
    room = build_booth(clock)
    with PtyInstrument(SimTridonicUsb(room)) as pty:
        bus = DaliBus(pty.port, interface="tridonic")
        try:
            yield bus, pty, room, clock
        finally:
            bus.close()


def report(*head: int, frame: bytes = b"") -> bytes:
    return (bytes(head) + frame).ljust(64, b"\0")


def test_tridonic_usb_connects_and_sends_its_reports(usb) -> None:
    bus, pty, room, clock = usb
    init = exchange(pty)
    assert [req for req, _ in init] == [report(0x01, 0x00), report(0x01, 0x02)]
    assert init[0][1] == report(0x01, 0, 0, 2, 5)  # firmware 2.5
    bus.direct_arc_power(200, address=0)
    [(request, reply)] = exchange(pty)
    seq = request[1]
    # SEND, seq, no control bits, 16-bit DALI, frame 0x00C8 right-aligned in 4 bytes
    assert request == report(0x12, seq, 0x00, 0x03, frame=bytes([0, 0, 0x00, 0xC8]))
    echo = report(0x12, 0x73, 0, 0, 0x00, 0xC8, 0, 0, seq)
    assert reply == echo + report(0x12, 0x71, 0, 0, 0, 0, 0, 0, seq)
    clock.advance(2.0)
    assert room.arc_level(0) == pytest.approx(200)


def test_tridonic_usb_go_to_scene_and_query(usb) -> None:
    bus, pty, room, clock = usb
    exchange(pty)
    bus.go_to_scene(1)
    [(request, _)] = exchange(pty)
    assert request[2:8] == bytes([0x00, 0x03, 0, 0, 0xFF, 0x11])
    clock.advance(2.0)
    assert bus.query_actual_level(1) == 223
    [(request, reply)] = exchange(pty)
    assert request[4:8] == bytes([0, 0, 0x03, 0xA0])
    assert reply[64:72] == bytes([0x12, 0x72, 0, 0, 0, 223, 0, 0])  # the backward frame
    assert bus.query_actual_level(9) is None


def test_tridonic_usb_that_is_not_there_is_one_plain_error(tmp_path) -> None:
    with pytest.raises(DaliError, match=r"DALI interface tridonic on .*hidraw9.*No such file"):
        DaliBus(str(tmp_path / "hidraw9"), interface="tridonic")
    silent = PtyInstrument(ScriptedPeer([]))  # a device that never answers
    with silent as pty, pytest.raises(DaliError, match="the interface does not answer"):
        DaliBus(pty.port, interface="tridonic", timeout_s=0.3)
