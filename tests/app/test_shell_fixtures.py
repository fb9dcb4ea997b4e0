"""Every shared fixture opens in the window without a crash or a Qt warning, and the banner states the
verifier's verdict (VERIFY.md §13); nothing in the copy changes."""

from __future__ import annotations

import pytest

from swarmview.app.views.base import report_json
from tests.app.conftest import OFFSCREEN_NOISE, open_and_settle
from tests.helpers import FIXTURE_NAMES, copy_fixture, snapshot_tree

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_opens(qtbot, window, tmp_path, name) -> None:
    root = copy_fixture(name, tmp_path)
    before = snapshot_tree(root)
    open_and_settle(qtbot, window, root)
    data = report_json(window.report)
    assert data is not None, window.banner.headline.text()
    assert window.banner.state == data["verdict"]
    assert window.banner.headline.text()
    for view_name in window.views:
        window.show_view(view_name)
        qtbot.wait(1)
    assert window.grab().width() > 0
    assert snapshot_tree(root) == before
