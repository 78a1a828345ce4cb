"""The Help panel: a welcome page with the three ways in and the lessons, and the help pages, in a dock
(never modal)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ..session.assets import lessons_dir
from . import help_text

WELCOME, GETTING_STARTED, SHORTCUTS, LEGEND, ABOUT = "welcome", "start", "shortcuts", "legend", "about"
PAGE_TITLES = {WELCOME: "Welcome", GETTING_STARTED: "Getting started", SHORTCUTS: "Keyboard shortcuts",
               LEGEND: "What each panel shows", ABOUT: "About"}

# The three ways in: (button text, tooltip, what it opens)
WAYS_IN = [
    ("Walk the textbook example", "The worked example (2 inputs, sigmoid), opened in the Walk workspace: "
     "step the forward and backward pass with every number", "worked_example"),
    ("Why a deep sigmoid net stops learning", "A deep sigmoid network, opened in the Train workspace: "
     "train it and watch the gradients of the first layers fade", "deep_sigmoid"),
    ("Draw your own network", "An empty start (2 inputs, 1 output) in the Build workspace", None),
]


class HelpPanel(QWidget):
    wayInChosen = Signal(object)      # a template key, or None for a network of your own
    lessonChosen = Signal(str)        # the path of a built-in lesson file

    def __init__(self, shortcut_actions=lambda: [], parent=None):
        super().__init__(parent)
        self.setObjectName("helpPanel")
        self.shortcut_actions = shortcut_actions
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.pages = QComboBox()
        self.pages.setObjectName("helpPages")
        for key, title in PAGE_TITLES.items():
            self.pages.addItem(title, key)
        self.pages.currentIndexChanged.connect(lambda _: self._show(self.pages.currentData()))
        layout.addWidget(self.pages)
        self.welcome = QWidget()
        self.welcome.setObjectName("welcomePage")
        w = QVBoxLayout(self.welcome)
        w.setContentsMargins(0, 4, 0, 4)
        intro = QLabel("<b>Welcome to backprop-viz.</b> See backpropagation work, one number at a time. "
                       "Three ways in:")
        intro.setWordWrap(True)
        w.addWidget(intro)
        self.way_buttons = []
        for text, tip, key in WAYS_IN:
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setObjectName(f"wayIn_{key or 'own'}")
            b.clicked.connect(lambda _=False, key=key: self.wayInChosen.emit(key))
            w.addWidget(b)
            self.way_buttons.append(b)
        lesson_row = QHBoxLayout()
        lesson_row.addWidget(QLabel("Or follow a lesson:"))
        self.lesson_choice = QComboBox()
        self.lesson_choice.setObjectName("welcomeLessons")
        for f in sorted(lessons_dir().glob("*.json")):
            self.lesson_choice.addItem(f.stem.replace("_", " ").capitalize(), str(f))
        self.lesson_choice.setToolTip("Guided exercises that check your answers (also in File › Open lesson)")
        lesson_row.addWidget(self.lesson_choice, 1)
        self.lesson_button = QPushButton("Start")
        self.lesson_button.setObjectName("welcomeLessonStart")
        self.lesson_button.clicked.connect(lambda: self.lessonChosen.emit(self.lesson_choice.currentData()))
        lesson_row.addWidget(self.lesson_button)
        w.addLayout(lesson_row)
        more = QLabel("Help › Getting started (F1) explains the three workspaces; Help › What each panel "
                      "shows explains the colours and the ∂E notation.")
        more.setWordWrap(True)
        w.addWidget(more)
        layout.addWidget(self.welcome)
        self.browser = QTextBrowser()
        self.browser.setObjectName("helpText")
        self.browser.setOpenExternalLinks(False)
        layout.addWidget(self.browser, 1)
        self._show(WELCOME)

    def show_page(self, key: str) -> None:
        self.pages.setCurrentIndex(list(PAGE_TITLES).index(key))
        self._show(key)

    @property
    def page(self) -> str:
        return self.pages.currentData()

    def _show(self, key: str) -> None:
        self.welcome.setVisible(key == WELCOME)
        text = {WELCOME: help_text.GETTING_STARTED, GETTING_STARTED: help_text.GETTING_STARTED,
                LEGEND: help_text.LEGEND}.get(key)
        if key == ABOUT:
            text = help_text.about_html()      # reads installed packages' versions: only when shown
        elif key == SHORTCUTS:
            text = help_text.shortcuts_html(self.shortcut_actions())
        self.browser.setHtml(text or "")
