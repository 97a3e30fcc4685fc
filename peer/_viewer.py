"""The viewer window (PySide6): the remote screen, scaled to fit or 1:1, and control.

It shows the frames of one :class:`peer._screen_share.ScreenView`. While
control is granted, the mouse (move, buttons, wheel) and the keyboard go to
the customer as :mod:`codec` input messages, in the remote framebuffer's own
coordinates whatever the scaling. Typed characters travel as text, so a rep
whose keyboard layout differs from the customer's gets the character they
meant; keys without a character (arrows, Enter, shortcuts with Ctrl or Alt)
travel as X keysyms. The window only posts messages through *post*: sending
them, and the consent check before sending, belong to the session side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QKeyCombination, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QImage, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QToolBar, QVBoxLayout, QWidget

from codec import KeyInput, PointerButton, PointerMotion, PointerWheel
from peer._inject import char_keysym

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from peer._share_rep import InputMessage

__all__ = ["RELEASE_KEYS", "ScreenWidget", "ViewerWindow", "qt_keysym"]

#: The one key combination the viewer keeps for itself while control is on: it hands
#: the keyboard back to the rep's own desktop (focus leaves the remote screen).
RELEASE_KEYS = "Ctrl+Alt+F12"
_RELEASE = QKeyCombination(
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier, Qt.Key.Key_F12
)

_BUTTONS = {
    Qt.MouseButton.LeftButton: 1,
    Qt.MouseButton.MiddleButton: 2,
    Qt.MouseButton.RightButton: 3,
    Qt.MouseButton.BackButton: 8,
    Qt.MouseButton.ForwardButton: 9,
}
K = Qt.Key
#: Keys that type no character, as X keysyms.
_KEYSYMS = {
    K.Key_Escape: 0xFF1B, K.Key_Tab: 0xFF09, K.Key_Backtab: 0xFF09, K.Key_Backspace: 0xFF08,
    K.Key_Return: 0xFF0D, K.Key_Enter: 0xFF8D, K.Key_Insert: 0xFF63, K.Key_Delete: 0xFFFF,
    K.Key_Pause: 0xFF13, K.Key_Print: 0xFF61, K.Key_Home: 0xFF50, K.Key_End: 0xFF57,
    K.Key_Left: 0xFF51, K.Key_Up: 0xFF52, K.Key_Right: 0xFF53, K.Key_Down: 0xFF54,
    K.Key_PageUp: 0xFF55, K.Key_PageDown: 0xFF56, K.Key_Shift: 0xFFE1, K.Key_Control: 0xFFE3,
    K.Key_Meta: 0xFFEB, K.Key_Alt: 0xFFE9, K.Key_AltGr: 0xFE03, K.Key_CapsLock: 0xFFE5,
    K.Key_NumLock: 0xFF7F, K.Key_ScrollLock: 0xFF14, K.Key_Menu: 0xFF67, K.Key_Space: 0x20,
}  # fmt: skip
_SHORTCUT_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


def qt_keysym(key: int) -> int:
    """The X keysym for a Qt key code (0 if it has none)."""
    if key in _KEYSYMS:
        return _KEYSYMS[Qt.Key(key)]
    if K.Key_F1 <= key <= K.Key_F35:
        return 0xFFBE + (key - K.Key_F1)
    if 0x20 <= key <= 0x7E:
        return ord(chr(key).lower())  # Qt names letters by their capital
    if 0xA0 <= key <= 0xFF:
        return key
    return 0


class ScreenWidget(QWidget):
    """Paints the remote framebuffer; turns mouse and keys into input messages."""

    def __init__(self, post: Callable[[InputMessage], None]) -> None:
        super().__init__()
        self._post = post
        self._image = QImage()
        self.fit = True
        self.control = False
        #: Called when the rep presses :data:`RELEASE_KEYS` to take the keyboard back.
        self.on_release: Callable[[], None] | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # Pictures ----------------------------------------------------------------------

    def show_frame(self, picture: NDArray[np.uint8]) -> None:
        """*picture* is ``(height, width, 3)`` RGB; the widget keeps its own copy."""
        height, width = picture.shape[:2]
        data = np.ascontiguousarray(picture)
        self._image = QImage(
            data.data, width, height, 3 * width, QImage.Format.Format_RGB888
        ).copy()
        if not self.fit:
            self.setFixedSize(width, height)
        self.update()

    @property
    def frame_size(self) -> QSize:
        return self._image.size()

    def set_fit(self, fit: bool) -> None:
        self.fit = fit
        if fit:
            self.setMinimumSize(1, 1)
            self.setMaximumSize(16777215, 16777215)
        elif not self._image.isNull():
            self.setFixedSize(self._image.size())
        self.update()

    def target(self) -> QRect:
        """Where the picture is drawn in the widget: scaled to fit, aspect kept, centred."""
        size = self._image.size()
        if not self.fit or size.isEmpty():
            return QRect(QPoint(0, 0), size)
        scaled = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - scaled.width()) // 2
        y = (self.height() - scaled.height()) // 2
        return QRect(QPoint(x, y), scaled)

    def remote_point(self, x: float, y: float) -> tuple[int, int] | None:
        """The framebuffer pixel under widget point (x, y); None outside the picture."""
        rect, size = self.target(), self._image.size()
        if rect.isEmpty():
            return None
        fx = int((x - rect.x()) * size.width() / rect.width())
        fy = int((y - rect.y()) * size.height() / rect.height())
        if 0 <= fx < size.width() and 0 <= fy < size.height():
            return fx, fy
        return None

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if not self._image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.fit)
            painter.drawImage(self.target(), self._image)
        painter.end()

    # Input -------------------------------------------------------------------------

    def _at(self, event: QMouseEvent | QWheelEvent) -> tuple[int, int] | None:
        point = event.position()
        return self.remote_point(point.x(), point.y()) if self.control else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (at := self._at(event)) is not None:
            self._post(PointerMotion(*at))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._button(event, down=True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._button(event, down=False)

    def _button(self, event: QMouseEvent, *, down: bool) -> None:
        button = _BUTTONS.get(event.button())
        if button is not None and (at := self._at(event)) is not None:
            self._post(PointerButton(button, down, *at))

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta() / 120  # one notch of a common wheel
        if (at := self._at(event)) is not None and (steps.x() or steps.y()):
            self._post(PointerWheel(-int(steps.x()), -int(steps.y()), *at))

    def event(self, event: QEvent) -> bool:
        # While control is on, the rep's shortcuts (Ctrl+C, Alt+F4, the console's own)
        # belong to the remote screen: claim them before Qt's shortcut map does.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.control
            and isinstance(event, QKeyEvent)
            and event.keyCombination() != _RELEASE
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.keyCombination() == _RELEASE:
            if self.control:  # Ctrl and Alt went down on the remote side: let them up there
                self._post(KeyInput(_KEYSYMS[K.Key_Control], False))
                self._post(KeyInput(_KEYSYMS[K.Key_Alt], False))
            self.clearFocus()
            if self.on_release is not None:
                self.on_release()
            return
        self._key(event, down=True)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        self._key(event, down=False)

    def _key(self, event: QKeyEvent, *, down: bool) -> None:
        if not self.control or (event.isAutoRepeat() and not down):
            return
        text = event.text()
        shortcut = bool(event.modifiers() & _SHORTCUT_MODIFIERS)
        if text and text.isprintable() and not shortcut and event.key() != K.Key_Space:
            if down:  # the character, as the rep's layout made it
                self._post(KeyInput(char_keysym(text[0]), True, text[:8]))
            return
        keysym = qt_keysym(event.key())
        if keysym:
            self._post(KeyInput(keysym, down))

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 - Qt's names
        return False  # Tab belongs to the remote screen, not to Qt's focus chain


class ViewerWindow(QMainWindow):
    """The window a view opens: banner, the screen, fit/1:1 and full screen."""

    def __init__(self, banner: str, *, control: bool, post: Callable[[InputMessage], None]) -> None:
        super().__init__()
        self.setWindowTitle(f"Helpline — {banner}")
        self.banner = QLabel()
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # names and window titles are remote
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet("padding: 4px; font-weight: bold;")
        self.screen_widget = ScreenWidget(post)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(self.screen_widget)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.scroll_area, 1)
        self.setCentralWidget(body)
        tools = QToolBar("View")
        self.fit_action = QAction("Fit to window", self, checkable=True, checked=True)
        self.fit_action.toggled.connect(self.set_fit)
        self.full_action = QAction("Full screen", self, checkable=True)
        self.full_action.setShortcut("F11")
        self.full_action.toggled.connect(self.set_full_screen)
        tools.addAction(self.fit_action)
        tools.addAction(self.full_action)
        self.addToolBar(tools)
        self.set_banner(banner, control=control)
        self.resize(1024, 700)

    def set_banner(self, text: str, *, control: bool) -> None:
        self.screen_widget.control = control
        colour = "#b3261e" if control else "#1f5fbf"
        self.banner.setText(text)
        self.banner.setStyleSheet(
            f"padding: 4px; font-weight: bold; color: white; background: {colour};"
        )

    def show_frame(self, picture: NDArray[np.uint8]) -> None:
        self.screen_widget.show_frame(picture)

    def set_fit(self, fit: bool) -> None:
        """Fit: scaled into the window. Otherwise 1:1, with scroll bars when larger."""
        self.scroll_area.setWidgetResizable(fit)
        self.screen_widget.set_fit(fit)
        if self.fit_action.isChecked() != fit:
            self.fit_action.setChecked(fit)

    def set_full_screen(self, full: bool) -> None:
        if full:
            self.showFullScreen()
        else:
            self.showNormal()
