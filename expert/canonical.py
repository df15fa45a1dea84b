"""Canonical content and digests: the same logic gives the same hash, whatever the layout.

Parsed YAML is written as JSON with sorted keys and no spacing, integral floats
as integers, so comments, quoting, key order and indentation do not count;
any change of a value does.
"""

import hashlib
import json


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
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
