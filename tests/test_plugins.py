"""The procedure-plugin registry and contract, without pip: entry points from a dist-info
directory on the path (a good plugin, broken ones), the built-ins' declarations matching
their station classes, task loading through the plugin, and the appeal's row statuses."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.configfile import ConfigError
from benchscore.plugins import Reanalysis, Role, registry
from firmware_py.config import load_task
from firmware_py.config.roles import role_problem
from firmware_py.procedures import PROCEDURES
from scorer.appeals import _row

REPO = Path(__file__).resolve().parents[1]
BUILTIN = ("led_assembly", "lighting_environment", "power_bank", "led_screen")

GOOD = """
from benchscore.plugins import ProcedurePlugin, Reanalysis
PLUGIN = ProcedurePlugin("tmp_good", "tmp_plugins:Nothing", lambda inp: Reanalysis())
WRONG_NAME = ProcedurePlugin("other", "tmp_plugins:Nothing", lambda inp: Reanalysis())
NOT_A_PLUGIN = object()
"""
ENTRY_POINTS = """[benchscore.procedures]
tmp_good = tmp_plugins:PLUGIN
tmp_missing = tmp_plugins_absent:PLUGIN
tmp_wrong_type = tmp_plugins:NOT_A_PLUGIN
tmp_wrong_name = tmp_plugins:WRONG_NAME
"""


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution ``tmp-plugins`` on sys.path with four entry points."""
    (tmp_path / "tmp_plugins.py").write_text(GOOD)
    info = tmp_path / "tmp_plugins-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tmp-plugins\nVersion: 1.2\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield tmp_path
    monkeypatch.undo()
    registry.refresh()


def test_entry_points_load_and_broken_ones_are_named(on_path: Path) -> None:
    installed = registry.installed()
    assert set(BUILTIN) | {"tmp_good"} == set(installed)
    assert registry.origin("tmp_good") == "tmp-plugins 1.2"
    assert registry.origin("power_bank").startswith("benchscore ")
    broken = registry.broken()
    assert set(broken) == {"tmp_missing", "tmp_wrong_type", "tmp_wrong_name"}
    assert "ModuleNotFoundError" in broken["tmp_missing"]
    assert "is a object, not a ProcedurePlugin" in broken["tmp_wrong_type"]
    assert "declares name 'other'" in broken["tmp_wrong_name"]
    with pytest.raises(registry.UnknownProcedure, match="installed but broken: .*Module"):
        registry.get("tmp_missing")
    lines = registry.describe()
    assert any(x.startswith("tmp_good  [tmp-plugins 1.2]") for x in lines)
    assert any(x.startswith("tmp_missing  [tmp-plugins 1.2]  BROKEN: ") for x in lines)


def test_without_the_distribution_the_plugin_is_gone() -> None:
    registry.refresh()
    assert "tmp_good" not in registry.installed()
    with pytest.raises(registry.UnknownProcedure) as err:
        registry.get("led_asembly")
    assert str(err.value) == (
        "procedure 'led_asembly' is not installed (did you mean 'led_assembly'?); installed: "
        "led_assembly, led_screen, lighting_environment, power_bank"
    )


@pytest.mark.parametrize("name", BUILTIN[:3])
def test_builtin_declarations_match_their_station_classes(name: str) -> None:
    plugin = registry.get(name)
    cls = PROCEDURES[name]
    assert cls.name == plugin.name and plugin.procedure.endswith(cls.__name__)
    assert dict(plugin.parameters) == cls.parameters  # the appeal uses the same defaults


def test_config_does_not_import_procedures() -> None:
    for path in (REPO / "firmware_py" / "config").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("firmware_py.procedures"), path.name


def test_the_plugin_reads_its_own_tables(tmp_path: Path) -> None:
    task = load_task(REPO / "config" / "tasks" / "led_tunable_white.toml")
    assert [c.name for c in task.channels] == ["warm", "cool"] and task.scenes == ()
    text = (REPO / "config" / "tasks" / "led_assembly.toml").read_text()
    bad = tmp_path / "t.toml"
    bad.write_text(text + '\n[[scenes]]\nname = "work"\nnumber = 0\n')
    with pytest.raises(ConfigError, match=r"^t.toml: unknown key\(s\) \['scenes'\]"):
        load_task(bad)  # scenes belong to lighting_environment, not led_assembly
    bad.write_text(text + '\n[[channels]]\nname = "a"\nindex = 0\n[[channels]]\nname = "a"\n')
    with pytest.raises(ConfigError, match="channels: channel names must be unique"):
        load_task(bad)


def test_roles_a_station_cannot_provide_are_named() -> None:
    assert role_problem([Role("power", "PowerSwitch"), Role("light_sensor", "LightSensor")]) == ""
    assert role_problem([Role("laser", "Laser")]).startswith("role 'laser' is not one a station")
    assert role_problem([Role("power", "Supply")]) == "role 'power' is a PowerSwitch, not a Supply"


def _status(stored: float | None, new: float | None, u: float | None = None, **kw: str) -> str:
    m = {"name": "x", "value": stored, "curve": "c", "u": u, "reason": "x: dark"}
    result = Reanalysis({"x": new} if new is not None else {}, dict(kw))
    row = _row(m, result, "", {"c"}, "proc")
    return str(row["status"])


def test_appeal_row_statuses_at_their_edges() -> None:
    assert _status(100.0, 100.001) == "same"  # 10 ppm
    assert _status(100.0, 100.0011) == "differs"
    assert _status(100.0, 100.5, u=0.5) == "within_u"  # a difference equal to U counts
    assert _status(100.0, 100.5000001, u=0.5) == "differs"
    assert _status(0.0, 1e-9) == "same" and _status(0.0, 2e-9) == "differs"
    assert _status(None, None, x="no light") == "no_value"
    assert _status(None, 3.0) == "differs"
    assert _status(1.0, None, x="curve 'c' not stored") == "not_reanalysed"
    assert _status(1.0, None) == "no_analysis"
    assert _status(1.0, float("nan")) == "error"


def test_stale_metadata_still_finds_the_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    """An editable install made before the entry points existed: the built-ins are found,
    marked as not registered; a third-party name still is not."""
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    registry.refresh()
    try:
        assert set(registry.installed()) == set(BUILTIN)
        assert registry.origin("led_assembly") == "benchscore (built-in, not registered: reinstall)"
        with pytest.raises(registry.UnknownProcedure):
            registry.get("led_efficacy")
    finally:
        monkeypatch.undo()
        registry.refresh()
    assert registry.origin("led_assembly").startswith("benchscore 0")


def test_a_role_bench_opens_declared_roles_and_leaves_a_missing_optional_one_none(
    tmp_path: Path,
) -> None:
    from firmware_py.role_bench import open_role_bench
    from tests.support.benches import station, write_config

    path = write_config(
        tmp_path,
        "st",
        task="led_assembly",
        assembly="led_assembly",
        simulation='unplugged = ["photodiode", "colour_sensor"]',
    )
    roles = [
        Role("power", "PowerSwitch"),
        Role("power_monitor", "PowerMonitor"),
        Role("light_sensor", "LightSensor"),
        Role("photodiode", "WaveformCapture", optional=True),
    ]
    with station(path) as hw:
        bench = open_role_bench(hw, roles)
        bench.power.on()
        hw.clock.sleep(0.5)
        assert bench.power_monitor.read().current_a > 0.2  # the simulated module lights up
        assert bench.light_sensor.measure_lx() > 1000
        assert bench.photodiode is None  # optional, and unplugged
        assert bench.calibrations is hw.corrections  # the record names what it applied
        with pytest.raises(AttributeError, match="no role 'dimmer'"):
            _ = bench.dimmer
        with pytest.raises(OSError):  # a required role whose device is missing
            open_role_bench(hw, [Role("colour_sensor", "ColourSensor")])
        bench.power.off()


def test_an_appeal_for_a_procedure_the_scorer_lacks_says_so() -> None:
    from scorer.appeals import _reanalyse

    result, error = _reanalyse("led_efficacy", {}, {}, {"x": {"name": "x"}}, {})
    assert result.values == {} and error.startswith("procedure 'led_efficacy' is not installed")
    assert error.endswith("(on this scorer)")
    m = {"name": "x", "value": 1.0, "curve": "c"}
    row = _row(m, result, error, {"c"}, "led_efficacy")
    assert (row["status"], row["detail"]) == ("error", error)
