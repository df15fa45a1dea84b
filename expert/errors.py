"""Exceptions that carry everything needed for a one-line error message."""


def one_line(text):
    """``text`` with control and other unprintable characters escaped (``\\n``, ``\\x1b``, ``\\ud800``...),
    so that a message quoting input is always one line and cannot forge another."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class SourcingError(Exception):
    """Base class: ``str(error)`` is a complete, single-line message."""

    def __str__(self):
        return one_line(super().__str__())


def shown(value, limit=40):
    """``value`` as it can be printed on one line: plain when printable, else its repr; shortened."""
    text = value if isinstance(value, str) and value.isprintable() and value.strip() == value else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(SourcingError):
    """Bad user input: an answers file, a --set option, a typed value.

    ``line`` (1-based), when known, is shown as ``SOURCE:LINE``.
    """

    def __init__(self, source, message, key=None, allowed=None, line=None):
        self.source = source
        self.key = key
        self.message = message
        self.allowed = tuple(allowed) if allowed else ()
        self.line = line
        super().__init__(str(self))

    def __reduce__(self):
        """Pickled by its fields (``assess`` workers send bad rows to the parent)."""
        return type(self), (self.source, self.message, self.key, self.allowed, self.line)

    def __str__(self):
        parts = [f"{self.source}:{self.line}" if self.line else str(self.source)]
        if self.key is not None:
            parts.append(shown(self.key))
        text = ": ".join(parts + [self.message])
        if self.allowed:
            text += "; allowed: " + ", ".join(self.allowed)
        return one_line(text)


class Problem:
    """One problem found in a knowledge file, located by file, line and rule."""

    def __init__(self, file, line, rule_id, message):
        self.file = file
        self.line = line
        self.rule_id = rule_id
        self.message = message

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        rule = f" {self.rule_id}:" if self.rule_id else ""
        return one_line(f"{where}:{rule} {self.message}")


class KnowledgeError(SourcingError):
    """The knowledge base is invalid; holds every problem found, not only the first."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self):
        return "\n".join(str(p) for p in self.problems)


class EngineError(SourcingError):
    """The rule engine could not finish a consultation (e.g. runaway chaining)."""
