"""Writing files safely: a temporary file beside the target, then an atomic rename."""
import os
import tempfile

import yaml

from expert.errors import InputError


def write_atomic(path, text):
    """Replace ``path`` with ``text`` atomically; the old file survives any failure."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".sourcing-", dir=directory)
    except OSError as error:
        raise InputError(str(path), f"cannot write: {error.strerror}")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise InputError(str(path), f"cannot write: {error.strerror}")


def write_new(path, text, force=False):
    """Write ``path`` atomically, refusing to replace an existing file unless ``force``."""
    refuse_existing(path, force)
    write_atomic(path, text)


def refuse_existing(path, force):
    """InputError if ``path`` exists and ``force`` is not set."""
    if not force and os.path.lexists(path):
        raise InputError(str(path), "already exists; use --force to overwrite it")


def save_answers(path, answers):
    """Save answers as a YAML answers file that --answers reads back."""
    text = "# sourcing answers\n" + yaml.safe_dump(dict(answers), sort_keys=False, default_flow_style=False)
    write_atomic(path, text)
