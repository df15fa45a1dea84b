"""Writing files safely: a temporary file beside the target, then an atomic rename or an exclusive link.

A symbolic link is followed: the file it points to is written, the link stays.
Only a regular file is ever replaced (never a device, FIFO or directory); a
replaced file keeps its mode, a new file gets the mode the umask allows.
"""

import os
import stat
import tempfile
from contextlib import contextmanager

from sourcing.expert.errors import InputError

MAX_KEY_BYTES = 64 * 1024


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_target(path, force=None):
    """The status of the file ``path`` (through symlinks) would replace, or None when it is new.

    InputError when it is not a regular file, or read-only without ``force``;
    ``force`` None means the command has no --force (the hint is left out).
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(str(path), f"cannot write: {error.strerror}")
    if stat.S_ISDIR(status.st_mode):
        raise InputError(str(path), "cannot write: Is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise InputError(str(path), "is not a regular file (a device or FIFO); refused")
    if not force and not (os.access(path, os.W_OK) and status.st_mode & stat.S_IWUSR):
        raise InputError(
            str(path), "is read-only; not replaced" + ("" if force is None else "; use --force to replace it")
        )
    return status


def write_atomic(path, text, force=None, replace=True):
    """Write ``text`` to ``path`` atomically; the old file survives any failure.

    With ``replace`` false a new file is created exclusively (linked into place),
    so of several writers racing for one name exactly one succeeds.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(str(path), "cannot write: the text is not valid Unicode (a lone surrogate)")
    with atomic_writer(path, force, replace) as stream:
        stream.write(data)


@contextmanager
def atomic_writer(path, force=None, replace=True):
    """A binary stream whose bytes reach ``path`` only when the block ends without an error: a temporary
    file beside the target, then a rename (or, without ``replace``, an exclusive link) into place."""
    target = os.path.realpath(path)
    status = check_target(path, force)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".sourcing-", dir=os.path.dirname(target))
    except OSError as error:
        raise InputError(str(path), f"cannot write: {error.strerror}")
    try:
        os.fchmod(handle, stat.S_IMODE(status.st_mode) if status else 0o666 & ~_umask())
        if status and (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
            _keep_owner(handle, status)
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if replace:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)
    except FileExistsError:
        raise InputError(str(path), "already exists; use --force to overwrite it")
    except OSError as error:
        raise InputError(str(path), f"cannot write: {error.strerror}")
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def _keep_owner(handle, status):
    """Give the new file the replaced file's owner and group, as far as this user may."""
    try:
        os.fchown(handle, status.st_uid, status.st_gid)
    except OSError:
        pass  # only root may give a file away: it stays this user's, with the old mode


def write_new(path, text, force=False):
    """Write ``path`` atomically, refusing to replace an existing file unless ``force``."""
    refuse_existing(path, force)
    write_atomic(path, text, force, replace=force)


def refuse_existing(path, force):
    """InputError if ``path`` exists and ``force`` is not set, or is not a file that can be written."""
    if check_target(path, force) and not force:
        raise InputError(str(path), "already exists; use --force to overwrite it")


def save_answers(path, answers):
    """Save answers as a YAML answers file that --answers reads back."""
    import yaml  # only to save answers

    text = "# sourcing answers\n" + yaml.safe_dump(dict(answers), sort_keys=False, default_flow_style=False)
    write_atomic(path, text)


def read_key(path):
    """The signing key in the file ``path``: its bytes, surrounding whitespace removed; InputError if empty."""
    try:
        with open(path, "rb") as stream:
            key = stream.read(MAX_KEY_BYTES + 1)
    except OSError as error:
        raise InputError(str(path), f"cannot read the key: {error.strerror}")
    if len(key) > MAX_KEY_BYTES:
        raise InputError(str(path), f"a key file is at most {MAX_KEY_BYTES // 1024} KB")
    if not key.strip():
        raise InputError(str(path), "the key file is empty")
    return key.strip()


def signing_key(path):
    """The key of ``--sign-key FILE``; else ``$SOURCING_SIGN_KEY`` (the key itself, not a path); else None."""
    if path:
        return read_key(path)
    return os.environ.get("SOURCING_SIGN_KEY", "").strip().encode("utf-8", "surrogateescape") or None
