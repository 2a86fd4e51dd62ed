"""Camera inspection of an LED display screen (the ``led_screen`` procedure's analysis).

- :mod:`.layout` the LED and module grid; :mod:`.patterns` the test patterns;
- :mod:`.register` finds the screen in a photo, :mod:`.sample` measures every LED;
- :mod:`.signals`, :mod:`.channels`, :mod:`.detect`, :mod:`.sweep`, :mod:`.uniformity` judge
  the LED maps; :mod:`.report` runs it all; :mod:`.evidence` draws the findings on a photo;
- :mod:`.findings` what is reported (the simulator's truth uses the same class).

OpenCV is imported only inside the functions that need it.
"""

from benchscore.analysis.led_screen.detect import Thresholds
from benchscore.analysis.led_screen.findings import Finding, Kind
from benchscore.analysis.led_screen.layout import ScreenLayout
from benchscore.analysis.led_screen.report import ScreenReport, analyse_maps, sample_photos
from benchscore.analysis.led_screen.uniformity import ColourMatrix

__all__ = [
    "ColourMatrix",
    "Finding",
    "Kind",
    "ScreenLayout",
    "ScreenReport",
    "Thresholds",
    "analyse_maps",
    "sample_photos",
]
