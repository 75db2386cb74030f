"""The engine's validation messages at work: `${action} ${type}` and `${X}` filled in, the
status taken from the message's error type.

Rules of this file (ovirt-engine `ErrorTranslatorImpl.java:136-203`,
`restapi/util/ErrorMessageHelper.java`):
- a `Message` is one `AppErrors.properties` entry: its key, its text as the file has it
  (with `\\:` already read as `:` and `\\n` as a newline), and the HTTP status of its
  `EngineMessage` error type (BAD_PARAMETERS and NOT_SUPPORTED 400, CONFLICT 409,
  INTERNAL_ERROR 500);
- a `Command` names the action and type its validation messages speak of
  (`VAR__ACTION__*`, `VAR__TYPE__*`);
- variables are substituted once; the first value of a variable wins; a variable nobody set
  stays literally `${X}`, as the engine leaves it;
- a refusal may carry more than one message (the engine's list of validation messages); the
  fault detail shows them comma-separated, in brackets, and the status is the most severe
  (400 before 409 before 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import EngineError

__all__ = ["Command", "Message", "Refused", "refuse", "render", "render_for"]

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Message:
    """One AppErrors entry: `key`, `text` and the status its error type answers with."""

    key: str
    text: str
    status: int


@dataclass(frozen=True)
class Command:
    """An engine command as its validation messages name it."""

    name: str  # the engine's ActionType, e.g. AddDisk
    action: str  # VAR__ACTION__*, e.g. "add"
    type: str  # VAR__TYPE__*, e.g. "Virtual Disk"


class Refused(EngineError):
    """A command's validation failed: one or more engine messages, already translated."""

    def __init__(self, detail: str, status: int, keys: tuple[str, ...]) -> None:
        super().__init__(detail)
        self.status = status
        self.keys = keys


def render(command: Command, message: Message, **values: object) -> str:
    """`message` as the engine words it for `command`, with `values` substituted."""
    variables = {"action": command.action, "type": command.type}
    variables.update({name: str(value) for name, value in values.items()})

    def fill(match: re.Match[str]) -> str:
        return variables.get(match.group(1), match.group(0))

    return _VARIABLE.sub(fill, message.text)


def render_for(what: str, message: Message, **values: object) -> str:
    """`message` as the engine words it for a command named ``"<action> <type>"``
    (``"remove Snapshot"``)."""
    action, _, kind = what.partition(" ")
    return render(Command(name="", action=action, type=kind), message, **values)


def refuse(command: Command, message: Message, *extra: str, **values: object) -> Refused:
    """The refusal `command` answers with `message`; `extra` are further messages the
    engine lists after it untranslated (a bare value it passed as a message)."""
    texts = [render(command, message, **values), *(_as_message(text) for text in extra)]
    return Refused(", ".join(texts), message.status, (message.key,))


def refuse_all(command: Command, messages: Iterable[tuple[Message, dict[str, object]]]) -> Refused:
    """One refusal carrying several messages; the status is the most severe one's."""
    pairs = list(messages)
    texts = [render(command, message, **values) for message, values in pairs]
    statuses = {message.status for message, _ in pairs}
    status = next((s for s in (400, 409, 500) if s in statuses), 400)
    return Refused(", ".join(texts), status, tuple(m.key for m, _ in pairs))


def _as_message(text: str) -> str:
    """What `ErrorTranslatorImpl.translate` makes of a message that is not a key: lower case,
    underscores as spaces."""
    return " ".join(text.lower().split("_"))
