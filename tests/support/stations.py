"""Station configs for tests: simulated benches with a chosen fault, on a chosen broker."""

from __future__ import annotations

from pathlib import Path

from tests.support.trust import TEST_SCORER_PUB

REPO = Path(__file__).resolve().parents[2]
LED_TASK = REPO / "config" / "tasks" / "led_assembly.toml"


def write_station_config(
    directory: Path,
    station_id: str,
    *,
    port: int = 1883,
    protocol: str = "5",
    fault: str = "none",
    clock: str = "sim",
    unplugged: tuple[str, ...] = (),
    event: str = "test",
    auto_start_s: float | None = None,
    scorer_key: str | None = TEST_SCORER_PUB,
    task: Path = LED_TASK,
    extra: str = "",
) -> Path:
    """Write ``<station_id>.toml`` into ``directory`` and return its path."""
    path = directory / f"{station_id}.toml"
    lines = [
        "[station]",
        f'id = "{station_id}"',
        f'event = "{event}"',
        f'task = "{task}"',
        *([f'scorer_key = "{scorer_key}"'] if scorer_key else []),
        "[broker]",
        'host = "127.0.0.1"',
        f"port = {port}",
        f'protocol = "{protocol}"',
        "[hardware]",
        'backend = "sim"',
        "[simulation]",
        f'fault = "{fault}"',
        f'clock = "{clock}"',
        "noise = false",
        *([f"auto_start_s = {auto_start_s}"] if auto_start_s else []),
        "unplugged = [" + ", ".join(f'"{u}"' for u in unplugged) + "]",
    ]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path
