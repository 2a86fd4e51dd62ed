"""Evidence pictures in the console: a run's ``image_*`` curves served as images to the
hall's roles, never to a contestant, and left out of the curve charts' data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchscore import image_curve
from benchscore.protocol import Topics
from tests.browser.support import EVENT, Hall, client, curve, enc, feed, login, make_hall, status

cv2 = pytest.importorskip("cv2")


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = make_hall(tmp_path)
    feed(h.ingest)
    yield h
    h.close()


def test_evidence_image_is_served_to_the_hall_roles_only(hall: Hall) -> None:
    img = np.zeros((40, 60, 3), dtype=np.uint8)
    cv2.rectangle(img, (5, 5), (30, 20), (0, 0, 255), 2)
    ok, buf = cv2.imencode(".jpg", img)
    jpeg = buf.tobytes()
    columns = image_curve.to_columns(jpeg)
    t = Topics(EVENT, "led01")
    hall.ingest.handle(t.status, enc(status("led01")))
    record = curve("led01", 900, "image_white", [image_curve.COLUMN], [columns[image_curve.COLUMN]])
    hall.ingest.handle(t.record, enc(record))
    url = "/console/api/station/led01/image?run_id=b1-1&name=image_white"

    judge = client(hall.app)
    login(judge, hall.users["judge"])
    resp = judge.get(url)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
    assert resp.content == jpeg
    names = judge.get("/console/api/station/led01").json()["curves"]["b1-1"]
    assert "image_white" in names
    assert judge.get(url.replace("image_white", "samples")).status_code == 400
    assert judge.get(url.replace("image_white", "image_none")).status_code == 404

    contestant = client(hall.app)
    login(contestant, hall.users["contestant"])
    assert contestant.get(url).status_code == 403
