"""Station configs for tests: simulated benches with a chosen fault, on a chosen broker."""

from __future__ import annotations

from pathlib import Path

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
    extra: str = "",
) -> Path:
    """Write ``<station_id>.toml`` into ``directory`` and return its path."""
    path = directory / f"{station_id}.toml"
    auto = f"auto_start_s = {auto_start_s}\n" if auto_start_s else ""
    path.write_text(
        f'[station]\nid = "{station_id}"\nevent = "{event}"\ntask = "{LED_TASK}"\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {port}\nprotocol = "{protocol}"\n'
        f'[hardware]\nbackend = "sim"\n'
        f'[simulation]\nfault = "{fault}"\nclock = "{clock}"\nnoise = false\n{auto}'
        f"unplugged = [{', '.join(repr(u).replace(chr(39), chr(34)) for u in unplugged)}]\n"
        f"{extra}"
    )
    return path
