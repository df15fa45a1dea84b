"""A cache of loaded and validated knowledge bases, and of compiled rules, in the user's cache directory.

``load`` gives what ``sourcing.expert.loader.load`` gives, from a file the tool wrote
earlier when nothing it depends on has changed. The key is a BLAKE2b digest over the
content of every file under each knowledge directory (with its path, and where
a symlink points), the source of the ``expert`` package and the Python
version: a changed byte anywhere is a new key, never a stale hit. ``compiled``
gives the code object of generated source (``expert/codegen.py``), keyed by
the source itself and the Python version.

The cache lives in ``$XDG_CACHE_HOME/sourcing`` (default ``~/.cache/sourcing``),
is safe to delete, and is off when ``SOURCING_NO_CACHE`` is set. A file that is
truncated, corrupt, foreign (not the user's own, not mode 0600) or of another
format is ignored and rebuilt; a directory that cannot be written means no
cache, silently. Files are pickles, read only after those checks and a
checksum of their content (code objects: marshal). What is derived from a
knowledge base ``load`` gave (``derived``, ``prepared``: the experta network,
the direct evaluator's prepared form) is kept under its key too.

A start reads the key's files with ``os.scandir`` (no pathlib) and hashes them
with the interpreter's own BLAKE2b (importing hashlib loads OpenSSL: ~5 ms; the
built-in SHA-256 hashed the ~550 KB of a start three times slower).
"""

import marshal
import os
import pickle
import stat
import sys
import weakref
from collections.abc import Callable
from types import CodeType
from typing import TypeVar

try:  # the interpreter's built-in BLAKE2
    from _blake2 import blake2b
except ImportError:  # pragma: no cover (an interpreter built without its own hashes)
    from hashlib import blake2b

MAGIC = b"sourcing-kb-cache 2\n"
MAX_FILES = 2000  # files under one knowledge directory; more, and it is not cached
MAX_BYTES = 64 * 1024 * 1024  # bytes read to make a key; more, and it is not cached
# Cache files kept of each kind, the oldest going first (code: two compiled forms per base).
KEPT = {"kb": 8, "code": 16, "net": 8, "direct": 8}
T = TypeVar("T")

_KEYS: dict[int, tuple[weakref.ref, str]] = {}  # id of a knowledge base load() gave -> (weak reference, key)


def _digest(data: bytes = b""):
    """A 32-byte BLAKE2b hash of ``data`` (keys and checksums), to update with more."""
    return blake2b(data, digest_size=32)


def directory() -> str:
    """The cache directory: ``$XDG_CACHE_HOME/sourcing``, default ``~/.cache/sourcing``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sourcing")


def load(knowledge_dir=None, extensions=()):
    """The knowledge base of ``knowledge_dir`` (default: the shipped one) plus ``extensions``, from the
    cache when it holds it; else loaded (KnowledgeError as from the loader) and cached."""
    key = None if os.environ.get("SOURCING_NO_CACHE") else _key(knowledge_dir, extensions)
    if key is not None:
        kb = _unpickled(_read(os.path.join(directory(), f"kb-{key}.pickle")))
        if kb is not None:
            return _registered(kb, key)
    from sourcing.expert.loader import load as load_files

    kb = load_files(knowledge_dir, extensions)
    if key is not None:
        try:
            payload = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return kb
        _write(directory(), f"kb-{key}.pickle", payload)
        _registered(kb, key)
    return kb


def _registered(kb, key):
    """``kb``, noted as the knowledge base of ``key`` for as long as it lives (see ``derived``)."""
    name = id(kb)
    _KEYS[name] = (weakref.ref(kb, lambda _: _KEYS.pop(name, None)), key)
    return kb


def wanted(kb) -> bool:
    """True when what is derived from ``kb`` can be kept: ``load`` gave it, and the cache is on."""
    return _key_of(kb) is not None


def derived(kb, kind: str, version: str) -> bytes | None:
    """The payload kept by ``keep_derived`` for ``kb`` (a knowledge base ``load`` gave), ``kind`` and
    ``version`` (what the payload depends on beyond the knowledge base's key), if it is sound; else None."""
    name = _derived_name(kb, kind, version)
    return None if name is None else _read(os.path.join(directory(), name))


def keep_derived(kb, kind: str, version: str, payload: bytes) -> None:
    """Keep ``payload`` as derived from ``kb`` (``kind``: a key of KEPT); nothing when ``kb`` is not one
    that ``load`` gave or the cache is off."""
    name = _derived_name(kb, kind, version)
    if name is not None:
        _write(directory(), name, payload)


def prepared(
    kb, kind: str, version: str, build: Callable[[], T], dump: Callable[[T], bytes], load: Callable[[bytes], T]
) -> T:
    """What ``build()`` makes of ``kb``, from the payload kept for ``kb``, ``kind`` and ``version`` (see
    ``derived``) when ``load`` reads it (anything it raises means a damaged or foreign payload: built
    again); else built now, and kept as ``dump`` writes it when ``kb`` is one ``load`` gave and the
    cache is on."""
    payload = derived(kb, kind, version)
    if payload is not None:
        try:
            return load(payload)
        except Exception:  # noqa: BLE001 (the payload is not what this code writes: built again)
            pass
    value = build()
    if wanted(kb):
        try:
            payload = dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return value  # what does not pickle is not kept
        keep_derived(kb, kind, version, payload)
    return value


def _key_of(kb):
    """The key ``load`` gave ``kb`` under (None: not from ``load``, or the cache is off)."""
    if os.environ.get("SOURCING_NO_CACHE"):
        return None
    reference, key = _KEYS.get(id(kb), (None, None))
    return key if reference is not None and reference() is kb else None


def _derived_name(kb, kind, version):
    key = _key_of(kb)
    if key is None:
        return None
    digest = _digest(MAGIC + key.encode() + b"\0" + kind.encode() + b"\0" + version.encode())
    return f"{kind}-{digest.hexdigest()}.pickle"


def compiled(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, from the cache when it holds the code of this very source."""
    if os.environ.get("SOURCING_NO_CACHE"):
        return compile(source, filename, "exec")
    digest = _digest(MAGIC + sys.version.encode() + b"\0" + filename.encode() + b"\0" + source.encode())
    name = f"code-{digest.hexdigest()}.marshal"
    data = _read(os.path.join(directory(), name))
    if data is not None:
        try:
            code = marshal.loads(data)
        except (EOFError, ValueError, TypeError):  # a file written by another interpreter: rebuilt
            code = None
        if isinstance(code, CodeType):
            return code
    code = compile(source, filename, "exec")
    _write(directory(), name, marshal.dumps(code))
    return code


def _key(knowledge_dir, extensions):
    """The hex digest of everything the knowledge base depends on; None when it cannot be read cheaply
    and safely (a FIFO or device in a knowledge directory, too many files): the loader then decides."""
    from sourcing import knowledge

    digest = _digest(MAGIC + sys.version.encode())
    budget = [MAX_FILES, MAX_BYTES]
    try:
        _add_tree(digest, os.path.dirname(os.path.realpath(__file__)), ".py", budget)
        for root in (knowledge_dir, *extensions):
            digest.update(b"\0root\0" + repr(None if root is None else str(root)).encode())
            shipped = knowledge.folder()
            _add_tree(digest, os.fspath(root) if root is not None else shipped, "", budget)
    except (OSError, _Unsuitable):
        return None
    return digest.hexdigest()


class _Unsuitable(Exception):
    """A knowledge directory the cache does not handle (the loader reports what is wrong)."""


def _add_tree(digest, root, suffix, budget):
    """Add the path, link target and content of every file whose name ends with ``suffix`` under ``root``."""
    real_root = os.path.realpath(root)
    digest.update(b"\0tree\0" + os.fsencode(real_root))
    if not os.path.isdir(root):
        raise _Unsuitable  # the loader says it is not a knowledge directory
    for relative, entry in _entries(root, suffix):
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(status.st_mode):
            status, real = os.stat(entry.path), os.path.realpath(entry.path)
            if stat.S_ISDIR(status.st_mode):
                raise _Unsuitable  # a linked folder's files are not listed here, and the loader may read them
        else:  # no link on the way (a linked folder stops the walk above): the real path is known
            real = os.path.join(real_root, relative)
        budget[0] -= 1
        budget[1] -= status.st_size
        if budget[0] < 0 or budget[1] < 0:
            raise _Unsuitable
        digest.update(b"\0path\0" + os.fsencode(relative) + b"\0real\0" + os.fsencode(real))
        if stat.S_ISDIR(status.st_mode):
            continue
        if not stat.S_ISREG(status.st_mode):
            raise _Unsuitable  # reading a FIFO or a device could block
        with open(entry.path, "rb") as handle:
            digest.update(b"\0data\0" + str(status.st_size).encode() + b"\0" + handle.read())


def _entries(root, suffix, folder=""):
    """(path relative to ``root``, DirEntry) of everything under ``root``/``folder`` whose name ends with
    ``suffix``, in name order, each folder's entries after the folder; linked folders are not entered."""
    with os.scandir(os.path.join(root, folder)) as listing:
        found = sorted(listing, key=lambda entry: entry.name)
    for entry in found:
        relative = os.path.join(folder, entry.name)
        if entry.name.endswith(suffix):
            yield relative, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _entries(root, suffix, relative)


def _read(path):
    """The payload of ``path`` if it is a sound cache file of this user's (else None)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            if not (_private(os.fstat(handle.fileno()), 0o600) and _private(os.stat(os.path.dirname(path)), 0o755)):
                return None
            data = handle.read()
    except OSError:
        return None
    checksum, payload = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
    if not data.startswith(MAGIC) or _digest(payload).digest() != checksum:
        return None
    return payload


def _unpickled(payload):
    """The knowledge base pickled in ``payload`` (None for no payload, or one that is not one)."""
    if payload is None:
        return None
    from sourcing.expert.model import KnowledgeBase

    try:
        kb = pickle.loads(payload)  # noqa: S301 (the user's own 0600 file, checksum verified)
    except Exception:  # a file pickled by other code: rebuilt
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def _private(status, allowed):
    """True for a file or directory of this user with no permission beyond ``allowed``."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return status.st_uid == owner and not stat.S_IMODE(status.st_mode) & ~allowed


def _write(folder, name, payload):
    """Write ``payload`` to ``folder``/``name`` atomically (a 0600 temporary file, then a rename); on any
    failure, leave the cache as it was."""
    temporary = None
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        handle, temporary = _new_file(folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(MAGIC + _digest(payload).digest() + payload)
        os.replace(temporary, os.path.join(folder, name))
        temporary = None
        _prune(folder, name.split("-", 1)[0])
    except OSError:
        pass  # no cache this time
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _new_file(folder):
    """(descriptor, path) of a new 0600 file under a random name in ``folder``, as ``tempfile.mkstemp``
    makes one (exclusive creation, so no link or file in the way is used), without importing tempfile,
    which imports shutil and random (~5 ms of a cold start)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        path = os.path.join(folder, f".kb-{os.urandom(8).hex()}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: no free temporary name")


def _prune(folder, kind):
    """Keep the KEPT most recent cache files of ``kind`` (a key of KEPT)."""
    with os.scandir(folder) as listing:
        files = [entry.path for entry in listing if entry.name.startswith(f"{kind}-")]
    files.sort(key=os.path.getmtime, reverse=True)
    for old in files[KEPT[kind] :]:
        os.unlink(old)
