"""Canonical content and digests: the same logic gives the same hash, whatever the layout.

Parsed YAML is written as JSON with sorted keys and no spacing, integral floats
as integers, so comments, quoting, key order and indentation do not count;
any change of a value does.
"""

import json

try:  # the interpreter's built-in SHA-256: importing hashlib loads OpenSSL (~4 ms of a cold start)
    from _sha2 import sha256  # Python 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256  # Python 3.10 and 3.11
    except ImportError:  # pragma: no cover (an interpreter built without its own hashes)
        from hashlib import sha256


def _normal(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    return value


def canonical(value):
    """``value`` (parsed YAML/JSON data) as canonical JSON text."""
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value):
    """``sha256:<hex>`` of the canonical form of ``value``."""
    return text_digest(canonical(value))


def text_digest(text):
    """``sha256:<hex>`` of canonical text (``canonical``'s result), for a caller that keeps the text too."""
    return "sha256:" + sha256(text.encode("utf-8")).hexdigest()
