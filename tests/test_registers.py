"""Register descriptors refuse bit fields that cannot exist in a 16-bit register."""

from __future__ import annotations

import pytest

from drivers.registers import ROBits16, RWBits16, swap16, to_signed16


@pytest.mark.parametrize("lowest_bit,width", [(15, 2), (0, 17), (-1, 1), (3, 0)])
def test_bit_field_outside_16_bits_is_refused(lowest_bit: int, width: int) -> None:
    for kind in (ROBits16, RWBits16):
        with pytest.raises(ValueError, match="does not fit"):
            kind(0x00, lowest_bit=lowest_bit, width=width)


def test_edges_that_fit() -> None:
    assert ROBits16(0x00, lowest_bit=15, width=1).mask == 0x8000
    assert ROBits16(0x00, lowest_bit=0, width=16).mask == 0xFFFF


def test_word_helpers() -> None:
    assert swap16(0x1234) == 0x3412
    assert to_signed16(0xFFFF) == -1 and to_signed16(0x7FFF) == 0x7FFF
