"""The rep's viewer window under Qt's offscreen platform, fed by a real session and Xvfb."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest

from codec import Activity, KeyInput, PointerButton, PointerMotion
from peer._share_events import ConsentAsked, ViewOpened
from tests.sharing.pair import display_pixels, next_share, open_pair, settled_view
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from peer._share_rep import InputMessage
    from tests.sharing.pair import Pair


@pytest.fixture(scope="module")
def qapp() -> Iterator[QApplication]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    yield app
    os.environ.pop("QT_QPA_PLATFORM", None)


def rgb(image: QImage) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8)
    rows = rows.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


async def viewing(pair: Pair, activity: Activity) -> ViewOpened:
    await pair.rep_sharing.ask(pair.customer_member(), activity)
    await next_share(pair.customer_sharing, ConsentAsked)
    await pair.customer_sharing.answer("y")
    return await next_share(pair.rep_sharing, ViewOpened)


async def test_the_viewer_window_shows_the_remote_screen_exactly(
    qapp: QApplication, relay_url: str, xdisplay: str
) -> None:
    from peer._viewer import ViewerWindow

    async with open_probe(xdisplay), open_pair(relay_url, xdisplay) as pair:
        opened = await viewing(pair, Activity.VIEW_DESKTOP)
        expected = display_pixels(xdisplay)
        await settled_view(pair, expected)
        window = ViewerWindow(opened.banner, control=opened.control, post=lambda _m: None)
        window.show()
        window.set_fit(False)  # 1:1
        window.show_frame(opened.view.picture())
        qapp.processEvents()
        assert window.banner.text() == "Bob's desktop — view only"
        assert np.array_equal(rgb(window.screen_widget.grab().toImage()), expected)
        window.close()


async def test_clicks_in_a_scaled_viewer_land_where_the_rep_pointed(
    qapp: QApplication, relay_url: str, xdisplay: str
) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from peer._viewer import ViewerWindow

    async with open_probe(xdisplay, x=100, y=80) as probe, open_pair(relay_url, xdisplay) as pair:
        opened = await viewing(pair, Activity.CONTROL_DESKTOP)
        await settled_view(pair, display_pixels(xdisplay))
        posted: list[InputMessage] = []
        window = ViewerWindow(opened.banner, control=opened.control, post=posted.append)
        window.show_frame(opened.view.picture())
        widget = window.screen_widget
        widget.resize(640, 400)  # half size: the viewer must double what it sends
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(70, 55))
        assert posted[-2:] == [PointerButton(1, True, 140, 110), PointerButton(1, False, 140, 110)]
        for message in posted:
            await pair.rep_sharing.send_input(message)
        assert (await probe.next("click"))["click"] == [40, 30, 1]
        window.close()


def test_typed_characters_travel_as_text_and_shortcuts_as_keys(qapp: QApplication) -> None:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    from peer._viewer import ScreenWidget

    posted: list[InputMessage] = []
    widget = ScreenWidget(posted.append)
    widget.control = True
    press, release = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
    none, ctrl = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier
    # On a French layout the key in the place of "2" types "é": the character goes, not the key.
    widget.keyPressEvent(QKeyEvent(press, Qt.Key.Key_2, none, "é"))
    widget.keyReleaseEvent(QKeyEvent(release, Qt.Key.Key_2, none, "é"))
    widget.keyPressEvent(QKeyEvent(press, Qt.Key.Key_Control, ctrl, ""))
    widget.keyPressEvent(QKeyEvent(press, Qt.Key.Key_C, ctrl, "\x03"))
    widget.keyReleaseEvent(QKeyEvent(release, Qt.Key.Key_C, ctrl, "\x03"))
    widget.keyPressEvent(QKeyEvent(press, Qt.Key.Key_Left, none, ""))
    assert posted == [
        KeyInput(0xE9, True, "é"),
        KeyInput(0xFFE3, True),
        KeyInput(ord("c"), True),
        KeyInput(ord("c"), False),
        KeyInput(0xFF51, True),
    ]


def test_nothing_is_forwarded_while_only_viewing(qapp: QApplication) -> None:
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest

    from peer._viewer import ScreenWidget

    posted: list[InputMessage] = []
    widget = ScreenWidget(posted.append)
    widget.show_frame(np.zeros((100, 100, 3), dtype=np.uint8))
    widget.resize(100, 100)
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    QTest.mouseMove(widget, QPoint(9, 9))
    widget.keyPressEvent(
        QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
    )
    assert posted == []
    widget.control = True
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert PointerButton(1, True, 5, 5) in posted
    assert not any(isinstance(m, PointerMotion) and m == PointerMotion(9, 9) for m in posted)
