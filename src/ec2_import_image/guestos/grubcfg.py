"""GRUB 2's grub.cfg and grubenv, read far enough to know the menu and its default entry.

Written from the GNU GRUB manual: "Shell-like scripting" (words, quoting, variable
expansion, ``if``/``elif``/``else``/``fi``, loops, functions, ``menuentry`` and ``submenu``
blocks), "Environment" and "Environment block" (grubenv), and the ``default`` variable's
description ("default": a number, a title or an id, and ``>``-separated paths into
submenus: "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-13-amd64"
or "1>2").

grub.cfg is a program, not a table: ``set default=`` sits inside ``if [ "${next_entry}" ]``
... ``else`` ... ``fi`` as grub-mkconfig writes it, and its value is ``${saved_entry}`` from
grubenv when GRUB_DEFAULT=saved.  So the script is run by a small interpreter that does
what GRUB does with what decides the menu:

- assignments (``set a=b``, ``a=b``, ``unset a``), with ``$a``/``${a}`` expanded in unquoted
  and double-quoted words, ``'...'`` literal, backslash escapes;
- ``load_env`` (all variables of grubenv, or the names it is given);
- conditions: ``[ ... ]`` and ``test``: strings (``=``, ``==``, ``!=``, ``-n``, ``-z``, a lone
  word), integers (``-eq``, ``-ne``, ``-lt``, ``-le``, ``-gt``, ``-ge``), files (``-f``, ``-e``,
  ``-s``, ``-d``: true, except a grubenv that is not there), ``!``; any other command as a
  condition (``loadfont``, ``search``) counts as succeeding;
- ``menuentry`` and ``submenu`` blocks build the menu (title, ``--id``, the ``linux``/
  ``linux16``/``linuxefi`` and ``initrd``/``initrd16``/``initrdefi`` lines of an entry,
  expanded when the menu is complete, as GRUB expands them when the entry runs);
- ``blscfg`` marks where the Boot Loader Specification entries join the menu;
- functions are defined, not run; loops are skipped.

GRUB's own variables that grub-mkconfig's scripts test (``feature_menuentry_id`` and the
other ``feature_*``) are set as GRUB 2.02 and later set them.

Bounded: at most ``MAX_NODES`` commands and a nesting depth of ``MAX_DEPTH``; a config that
is not balanced raises ``GrubSyntaxError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_NODES = 100_000
MAX_DEPTH = 64
#: GRUB's own variables grub-mkconfig's scripts test
GRUB_FEATURES = {
    "feature_menuentry_id": "y",
    "feature_default_font_path": "y",
    "feature_all_video_module": "y",
    "feature_chainloader_bpb": "y",
    "feature_ntldr": "y",
    "feature_platform_search_hint": "y",
    "feature_timeout_style": "y",
}
LINUX_COMMANDS = frozenset({"linux", "linux16", "linuxefi", "kernel"})
INITRD_COMMANDS = frozenset({"initrd", "initrd16", "initrdefi"})
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*]")
_KEYWORDS_END = {"if": "fi", "while": "done", "until": "done", "for": "done"}


class GrubSyntaxError(ValueError):
    """grub.cfg is not balanced (a block or a quote left open) or too large."""


# -- words --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word as written: its raw text (quotes and escapes kept) for expansion later."""

    raw: str

    @property
    def literal(self) -> str | None:
        """The word's text when it has no quotes, escapes or variables, else None."""
        if any(char in self.raw for char in "'\"\\$"):
            return None
        return self.raw


def expand(raw: str, variables: Mapping[str, str]) -> str | None:
    """A word's value; None when it was only an unquoted expansion that came out empty
    (such a word vanishes, as in the shell)."""
    out: list[str] = []
    quoted = False
    index, size = 0, len(raw)

    def variable(at: int) -> tuple[str, int]:
        if at < size and raw[at] == "{":
            end = raw.find("}", at + 1)
            if end < 0:
                return "$", at
            return variables.get(raw[at + 1 : end], ""), end + 1
        match = _VARIABLE.match(raw, at)
        if match is None:
            return "$", at
        return variables.get(match.group(0), ""), match.end()

    while index < size:
        char = raw[index]
        if char == "'":
            end = raw.find("'", index + 1)
            end = size if end < 0 else end
            out.append(raw[index + 1 : end])
            quoted = True
            index = end + 1
        elif char == '"':
            quoted = True
            index += 1
            while index < size and raw[index] != '"':
                if raw[index] == "\\" and index + 1 < size and raw[index + 1] in '$"\\\n':
                    if raw[index + 1] != "\n":
                        out.append(raw[index + 1])
                    index += 2
                elif raw[index] == "$":
                    value, index = variable(index + 1)
                    out.append(value)
                else:
                    out.append(raw[index])
                    index += 1
            index += 1
        elif char == "\\" and index + 1 < size:
            quoted = True
            out.append(raw[index + 1])
            index += 2
        elif char == "$":
            value, index = variable(index + 1)
            out.append(value)
        else:
            out.append(char)
            index += 1
    text = "".join(out)
    return text if text or quoted else None


def tokenize(text: str) -> list[Word | str]:
    """Words and separators: a separator is ``"\\n"`` (newline or ``;``); ``{`` and ``}``
    that stand alone are words like the others (the parser looks at them)."""
    tokens: list[Word | str] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char == "\\" and text.startswith("\\\n", index):
            index += 2  # a line continued
            continue
        if char in " \t\r":
            index += 1
            continue
        if char in "\n;":
            tokens.append("\n")
            index += 1
            continue
        if char == "#":
            end = text.find("\n", index)
            index = size if end < 0 else end
            continue
        start = index
        while index < size:
            char = text[index]
            if char in " \t\r\n;":
                break
            if char == "\\":
                index += 2
                continue
            if char in "'\"":
                end = index + 1
                while end < size and text[end] != char:
                    end += 2 if char == '"' and text[end] == "\\" else 1
                if end >= size:
                    raise GrubSyntaxError("a quote is left open in grub.cfg")
                index = end + 1
                continue
            if char == "$" and text.startswith("${", index):
                end = text.find("}", index)
                index = size if end < 0 else end + 1
                continue
            index += 1
        tokens.append(Word(text[start:index]))
    tokens.append("\n")
    return tokens


# -- the script's shape ----------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Block:
    """``menuentry``, ``submenu`` or ``function``: its words before ``{`` and its body."""

    kind: str
    words: tuple[Word, ...]
    body: tuple[Node, ...]


@dataclass(frozen=True)
class Conditional:
    #: (condition, body) per ``if``/``elif``
    branches: tuple[tuple[tuple[Node, ...], tuple[Node, ...]], ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True)
class Loop:
    """``for``/``while``/``until``: kept only to be skipped."""


Node = Command | Block | Conditional | Loop


class _Parser:
    def __init__(self, tokens: list[Word | str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.nodes = 0

    def _peek_word(self) -> str | None:
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        return token.literal if isinstance(token, Word) else None

    def _skip_separators(self) -> None:
        while self.at < len(self.tokens) and self.tokens[self.at] == "\n":
            self.at += 1

    def _words_to_separator(self) -> list[Word]:
        words: list[Word] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            if token == "\n":
                break
            assert isinstance(token, Word)
            words.append(token)
            self.at += 1
        return words

    def sequence(self, ends: frozenset[str], depth: int) -> tuple[list[Node], str | None]:
        """Commands up to one of ``ends`` (a keyword at a command's start, or ``}``); the
        end met (None at the end of the text)."""
        if depth > MAX_DEPTH:
            raise GrubSyntaxError("grub.cfg nests too deeply")
        nodes: list[Node] = []
        while True:
            self._skip_separators()
            if self.at >= len(self.tokens):
                return nodes, None
            first = self._peek_word()
            if first is not None and first in ends:
                self.at += 1
                return nodes, first
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise GrubSyntaxError(f"grub.cfg has more than {MAX_NODES} commands")
            nodes.append(self._command(first, depth))

    def _command(self, first: str | None, depth: int) -> Node:
        if first == "if":
            self.at += 1
            return self._conditional(depth)
        if first in ("for", "while", "until"):
            self.at += 1
            self._skip_to("do", depth)
            self._skip_to("done", depth)
            return Loop()
        if first in ("}", "fi", "then", "elif", "else", "do", "done"):
            raise GrubSyntaxError(f"grub.cfg has a stray {first!r}")
        if first in ("menuentry", "submenu", "function"):
            return self._block(first, depth)
        words = self._words_to_separator()
        return Command(tuple(words))

    def _skip_to(self, end: str, depth: int) -> None:
        _, met = self.sequence(frozenset({end}), depth + 1)
        if met != end:
            raise GrubSyntaxError(f"grub.cfg has no {end!r} to close a block")

    def _conditional(self, depth: int) -> Conditional:
        branches: list[tuple[tuple[Node, ...], tuple[Node, ...]]] = []
        otherwise: list[Node] = []
        while True:
            condition, met = self.sequence(frozenset({"then"}), depth + 1)
            if met != "then":
                raise GrubSyntaxError("grub.cfg has an 'if' without 'then'")
            body, met = self.sequence(frozenset({"elif", "else", "fi"}), depth + 1)
            branches.append((tuple(condition), tuple(body)))
            if met == "elif":
                continue
            if met == "else":
                otherwise, met = self.sequence(frozenset({"fi"}), depth + 1)
            if met != "fi":
                raise GrubSyntaxError("grub.cfg has an 'if' without 'fi'")
            return Conditional(tuple(branches), tuple(otherwise))

    def _block(self, kind: str, depth: int) -> Block:
        words: list[Word] = []
        self.at += 1
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            self.at += 1
            if token == "\n":
                continue  # GRUB lets the brace follow on the next line
            assert isinstance(token, Word)
            if token.raw == "{":
                body, met = self.sequence(frozenset({"}"}), depth + 1)
                if met != "}":
                    raise GrubSyntaxError(f"a {kind} block of grub.cfg is not closed")
                return Block(kind, tuple(words), tuple(body))
            words.append(token)
        raise GrubSyntaxError(f"a {kind} of grub.cfg has no block")


def parse(text: str) -> list[Node]:
    parser = _Parser(tokenize(text))
    nodes, met = parser.sequence(frozenset(), 0)
    if met is not None:
        raise GrubSyntaxError(f"grub.cfg has a stray {met!r}")
    return nodes


# -- running it ---------------------------------------------------------------------------


@dataclass
class MenuEntry:
    """A menu entry or a submenu (``children`` not None) as GRUB builds it."""

    title: str
    id: str | None
    #: the kernel line's words (``linux``... with its arguments), unexpanded
    linux: tuple[Word, ...] | None = None
    #: each ``initrd`` line's files, unexpanded
    initrd: tuple[Word, ...] = ()
    children: list[MenuItem] | None = None


@dataclass(frozen=True)
class BlsMarker:
    """Where ``blscfg`` puts the BLS entries into the menu."""


MenuItem = MenuEntry | BlsMarker


@dataclass
class Menu:
    items: list[MenuItem] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    #: ``configfile``/``source`` targets (a stub grub.cfg hands over to another one)
    hands_over: list[str] = field(default_factory=list)

    @property
    def default(self) -> str | None:
        """The ``default`` variable as GRUB has it when the menu is shown (None: unset)."""
        value = self.variables.get("default")
        return value if value is not None else None

    @property
    def uses_bls(self) -> bool:
        def walk(items: list[MenuItem]) -> bool:
            return any(
                isinstance(item, BlsMarker) or (item.children is not None and walk(item.children))
                for item in items
            )

        return walk(self.items)

    def expand(self, words: tuple[Word, ...]) -> list[str]:
        """Words expanded with the variables as they are once the script has run."""
        out: list[str] = []
        for word in words:
            value = expand(word.raw, self.variables)
            if value is None:
                continue
            if word.raw.startswith("$") and not word.raw.startswith(('"', "'")):
                out.extend(value.split())  # an unquoted expansion splits into words
            else:
                out.append(value)
        return out


_OPTIONS_WITH_VALUE = frozenset({"--class", "--users", "--hotkey", "--id", "--source"})


class _Interpreter:
    def __init__(self, grubenv: Mapping[str, str], has_grubenv: bool) -> None:
        self.menu = Menu(variables={**GRUB_FEATURES})
        self.grubenv = dict(grubenv)
        self.has_grubenv = has_grubenv

    def run(self, nodes: tuple[Node, ...] | list[Node], into: list[MenuItem]) -> bool:
        """Run commands; the status of the last one (True: success)."""
        status = True
        for node in nodes:
            if isinstance(node, Command):
                status = self._command(node, into)
            elif isinstance(node, Conditional):
                status = self._conditional(node, into)
            elif isinstance(node, Block):
                self._block(node, into)
                status = True
        return status

    def _words(self, words: tuple[Word, ...]) -> list[str]:
        return self.menu.expand(words)

    def _command(self, node: Command, into: list[MenuItem]) -> bool:
        words = self._words(node.words)
        if not words:
            return True
        name, arguments = words[0], words[1:]
        variables = self.menu.variables
        if name == "set":
            for argument in arguments:
                key, _, value = argument.partition("=")
                variables[key] = value
            return True
        if "=" in name and _VARIABLE.fullmatch(name.partition("=")[0]) and not arguments:
            key, _, value = name.partition("=")
            variables[key] = value
            return True
        if name == "unset":
            for argument in arguments:
                variables.pop(argument, None)
            return True
        if name == "load_env":
            names = [argument for argument in arguments if not argument.startswith("-")]
            if arguments[:1] == ["-f"] or "--file" in arguments:
                names = names[1:]  # the file named after -f
            for key, value in self.grubenv.items():
                if not names or key in names:
                    variables[key] = value
            return self.has_grubenv
        if name == "blscfg":
            into.append(BlsMarker())
            return True
        if name in ("configfile", "source", "normal") and arguments:
            self.menu.hands_over.append(arguments[0])
            return True
        if name in ("[", "test"):
            return _test(arguments[:-1] if name == "[" else arguments, self._file_exists)
        return name != "false"

    def _file_exists(self, path: str) -> bool:
        if path.rstrip("/").endswith("grubenv"):
            return self.has_grubenv
        return True

    def _conditional(self, node: Conditional, into: list[MenuItem]) -> bool:
        for condition, body in node.branches:
            if self.run(condition, into):
                return self.run(body, into)
        return self.run(node.otherwise, into)

    def _block(self, node: Block, into: list[MenuItem]) -> None:
        if node.kind == "function":
            return
        words = self._words(node.words)
        title: str | None = None
        entry_id: str | None = None
        index = 0
        while index < len(words):
            word = words[index]
            if word in _OPTIONS_WITH_VALUE and index + 1 < len(words):
                if word == "--id":
                    entry_id = words[index + 1]
                index += 2
                continue
            if word.startswith("--"):
                index += 1
                continue
            if title is None:
                title = word
            index += 1
        entry = MenuEntry(title or "", entry_id)
        if node.kind == "submenu":
            entry.children = []
            self.run(node.body, entry.children)
        else:
            self._entry_body(node.body, entry)
        into.append(entry)

    def _entry_body(self, body: tuple[Node, ...], entry: MenuEntry) -> None:
        """The kernel and initrd lines of an entry (inside its conditionals too)."""
        for node in body:
            if isinstance(node, Command) and node.words:
                first = node.words[0].literal
                if first in LINUX_COMMANDS and entry.linux is None:
                    entry.linux = node.words[1:]
                elif first in INITRD_COMMANDS:
                    entry.initrd = entry.initrd + node.words[1:]
            elif isinstance(node, Conditional):
                for _, branch in node.branches:
                    self._entry_body(branch, entry)
                self._entry_body(node.otherwise, entry)


def _test(arguments: list[str], exists: Callable[[str], bool]) -> bool:
    """``[ ... ]`` / ``test`` as GRUB's test command evaluates the forms grub.cfg uses."""
    if "-o" in arguments:
        index = arguments.index("-o")
        return _test(arguments[:index], exists) or _test(arguments[index + 1 :], exists)
    if "-a" in arguments:
        index = arguments.index("-a")
        return _test(arguments[:index], exists) and _test(arguments[index + 1 :], exists)
    if arguments[:1] == ["!"]:
        return not _test(arguments[1:], exists)
    if not arguments:
        return False
    if len(arguments) == 1:
        return bool(arguments[0])
    if len(arguments) == 2:
        operator, operand = arguments
        if operator == "-n":
            return bool(operand)
        if operator == "-z":
            return not operand
        if operator in ("-f", "-e", "-s", "-d"):
            return exists(operand)
        return True
    left, operator, right = arguments[0], arguments[1], arguments[2]
    if operator in ("=", "=="):
        return left == right
    if operator == "!=":
        return left != right
    numbers = {"-eq": "==", "-ne": "!=", "-lt": "<", "-le": "<=", "-gt": ">", "-ge": ">="}
    if operator in numbers:
        try:
            a, b = int(left), int(right)
        except ValueError:
            return False
        return {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[numbers[operator]]
    return True


def read_menu(text: str, grubenv: Mapping[str, str], *, has_grubenv: bool = True) -> Menu:
    """The menu a grub.cfg builds, with the variables it leaves (``default`` among them)."""
    interpreter = _Interpreter(grubenv, has_grubenv)
    interpreter.run(parse(text), interpreter.menu.items)
    return interpreter.menu


# -- grubenv ---------------------------------------------------------------------------------

GRUBENV_SIZE = 1024
GRUBENV_HEADER = "# GRUB Environment Block"


def parse_grubenv(data: bytes) -> dict[str, str]:
    """The variables of a grubenv block (``name=value`` lines after the header, ``#``
    padding; a backslash escapes a newline or a backslash in a value)."""
    text = data.decode("utf-8", "replace")
    variables: dict[str, str] = {}
    lines: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index + 1])
            index += 2
            continue
        if char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    lines.append("".join(current))
    for line in lines:
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep and _VARIABLE.fullmatch(key):
            variables[key] = value
    return variables
