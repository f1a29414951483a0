"""The interactive prompt of ``--cli-auto-prompt`` (prompt_toolkit, as v2 uses).

Layout, as in v2: the command line after ``> aws `` with a completion menu
under the cursor (each candidate with its type and the first sentence of its
documentation, required options first), a doc panel (F3) documenting the
option or command being typed, and a one-line key bar.  The line starts with
the words given on the command line (minus ``--cli-auto-prompt``), and the
menu opens at once.

Keys: Tab/Shift-Tab move through the menu; Enter takes the highlighted
candidate when the menu has one, else runs the command line; F3 shows or
hides the doc panel; Ctrl-C or Ctrl-D abandon (v2 writes the line typed so
far to stderr and exits 130).

After Enter the prompt is erased, ``> aws <line>`` is printed (so that the
output can be told apart), and the line's words are run as a command.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator, Mapping

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.input import create_input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    Window,
)
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import BeforeInput
from prompt_toolkit.output import create_output

from ec2_import_image.dropin.completion.engine import Candidate, complete
from ec2_import_image.dropin.completion.promptdocs import doc_text
from ec2_import_image.dropin.completion.shellwords import split_line
from ec2_import_image.dropin.errors import PromptInterrupted
from ec2_import_image.environment import Environment

PROMPT_OPTIONS = ("--cli-auto-prompt", "--no-cli-auto-prompt")
KEY_BAR = " [Tab] next  [Enter] take / run  [F3] doc panel  [Ctrl-C] cancel "
INPUT_HEIGHT = 10
MENU_HEIGHT = 16
DOC_HEIGHT = 16


class PromptCancelled(PromptInterrupted):
    """Ctrl-C or Ctrl-D in the prompt; ``str()`` is the line as typed."""


class CommandCompleter(Completer):
    """prompt_toolkit's view of ``completion.engine``."""

    def __init__(self, program: str, environ: Mapping[str, str]) -> None:
        self.program = program
        self.environ = environ

    def candidates(self, text: str) -> list[Candidate]:
        words, current = split_line(text)
        found = complete(words, current, self.program, self.environ)
        found = [c for c in found if c.value not in PROMPT_OPTIONS]
        return [c for c in found if c.required] + [c for c in found if not c.required]

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        start = -len(document.get_word_before_cursor(WORD=True))
        for candidate in self.candidates(before):
            meta = f"[{candidate.type_name}] " if candidate.type_name else ""
            meta += " ".join(candidate.help.split())
            display = candidate.value
            if candidate.required and display.startswith("--"):
                display += " (required)"
            yield Completion(candidate.value, start, display=display, display_meta=meta)


def initial_text(args: Iterable[str], completer: CommandCompleter) -> str:
    """The line the prompt starts with: the given words, and a blank if they are done.

    The last word is done when nothing completes it into something else (v2 also
    waits after a word that only completes to itself, such as ``ec2``).
    """
    words = [shlex.quote(a) for a in args if a not in PROMPT_OPTIONS]
    text = " ".join(words)
    if words and not any(c.value != words[-1] for c in completer.candidates(text)):
        text += " "
    return text


class AutoPrompt:
    """One prompt session."""

    def __init__(self, program: str, env: Environment) -> None:
        self.program = program
        self.env = env
        self.completer = CommandCompleter(program, env.environ)
        self.show_doc = False
        self.input_buffer = Buffer(
            name="input",
            completer=self.completer,
            complete_while_typing=True,
            on_text_changed=lambda _buffer: self._update_doc(),
        )
        self.doc_buffer = Buffer(name="doc", read_only=True)

    def _update_doc(self) -> None:
        text = doc_text(self.input_buffer.document.text_before_cursor, self.program)
        if text != self.doc_buffer.text:
            self.doc_buffer.set_document(Document(text, 0), bypass_readonly=True)

    def _bindings(self) -> KeyBindings:
        bindings = KeyBindings()

        @bindings.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            buffer = self.input_buffer
            state = buffer.complete_state
            if state is not None and state.current_completion is not None:
                buffer.complete_state = None  # keep the highlighted candidate's text
                self._update_doc()
                return
            event.app.exit(result=buffer.text)

        @bindings.add("f3")
        def _doc(event: KeyPressEvent) -> None:
            self.show_doc = not self.show_doc

        @bindings.add("c-c")
        @bindings.add("c-d")
        def _cancel(event: KeyPressEvent) -> None:
            event.app.exit(exception=PromptCancelled(self._echo(self.input_buffer.text)))

        return bindings

    def _echo(self, text: str) -> str:
        return f"> {self.program} {text}"

    def _layout(self) -> Layout:
        line = FloatContainer(
            Window(
                BufferControl(
                    buffer=self.input_buffer,
                    input_processors=[BeforeInput(f"> {self.program} ")],
                ),
                height=Dimension(min=INPUT_HEIGHT),
                wrap_lines=True,
            ),
            [
                Float(
                    xcursor=True,
                    ycursor=True,
                    content=CompletionsMenu(max_height=MENU_HEIGHT, scroll_offset=1),
                )
            ],
        )
        doc = ConditionalContainer(
            HSplit(
                [
                    Window(FormattedTextControl(" Doc panel "), height=1, style="reverse"),
                    Window(
                        BufferControl(buffer=self.doc_buffer, focusable=False),
                        height=Dimension(max=DOC_HEIGHT, preferred=DOC_HEIGHT),
                        wrap_lines=True,
                    ),
                ]
            ),
            filter=Condition(lambda: self.show_doc),
        )
        bar = Window(FormattedTextControl(KEY_BAR), height=1, style="reverse")
        return Layout(HSplit([line, doc, bar]), focused_element=self.input_buffer)

    def run(self, args: list[str]) -> list[str]:
        """Prompt; return the words of the line to run."""
        app: Application[str] = Application(
            layout=self._layout(),
            key_bindings=self._bindings(),
            full_screen=False,
            erase_when_done=True,
            input=create_input(self.env.stdin),
            output=create_output(self.env.stdout, always_prefer_tty=True),
        )

        def pre_run() -> None:
            self.input_buffer.insert_text(initial_text(args, self.completer))
            self._update_doc()
            self.input_buffer.start_completion(select_first=False)

        text = app.run(pre_run=pre_run)
        self.env.stdout.write(self._echo(text) + "\n")
        self.env.stdout.flush()
        return shlex.split(text)


def prompt_command_line(args: list[str], env: Environment) -> list[str]:
    """Run the prompt on a terminal; return the words to run in place of ``args``."""
    return AutoPrompt(env.program, env).run(args)
