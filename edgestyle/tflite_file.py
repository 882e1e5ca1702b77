"""Read and write named metadata entries inside a .tflite flatbuffer.

Reading is plain Python (``struct``) so the board needs neither TensorFlow nor the flatbuffers
package; writing happens on the host and uses the schema that ships with ai-edge-litert.
Layout reference: tensorflow/lite/schema/schema.fbs (Model.buffers = field 4, Model.metadata =
field 6; Metadata.name = 0, Metadata.buffer = 1; Buffer.data = 0, Buffer.offset = 1, Buffer.size = 2).
"""

from __future__ import annotations

import struct
from typing import Any

from edgestyle.errors import EdgestyleError

_MODEL_BUFFERS, _MODEL_METADATA = 4, 6


def _field_pos(buf: bytes, table: int, field: int) -> int | None:
    """Absolute position of ``field`` in the table at ``table``, or None when it is absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vtable_size = struct.unpack_from("<H", buf, vtable)[0]
    entry = 4 + 2 * field
    if entry >= vtable_size:
        return None
    offset = struct.unpack_from("<H", buf, vtable + entry)[0]
    return table + offset if offset else None


def _deref(buf: bytes, pos: int) -> int:
    return pos + struct.unpack_from("<I", buf, pos)[0]


def _vector(buf: bytes, table: int, field: int) -> tuple[int, int]:
    """(start of elements, element count) of a vector field; (0, 0) when absent."""
    pos = _field_pos(buf, table, field)
    if pos is None:
        return 0, 0
    vec = _deref(buf, pos)
    return vec + 4, struct.unpack_from("<I", buf, vec)[0]


def _table_at(buf: bytes, start: int, index: int) -> int:
    return _deref(buf, start + 4 * index)


def _buffer_bytes(buf: bytes, buffer_table: int) -> bytes:
    start, count = _vector(buf, buffer_table, 0)
    if count:
        return bytes(buf[start : start + count])
    offset_pos, size_pos = _field_pos(buf, buffer_table, 1), _field_pos(buf, buffer_table, 2)
    if offset_pos is not None and size_pos is not None:  # models over 2 GB keep data after the flatbuffer
        offset = struct.unpack_from("<Q", buf, offset_pos)[0]
        size = struct.unpack_from("<Q", buf, size_pos)[0]
        return bytes(buf[offset : offset + size])
    return b""


def read_metadata(model_bytes: bytes) -> dict[str, bytes]:
    """All metadata entries of a .tflite model as {name: payload}."""
    try:
        if len(model_bytes) < 8 or model_bytes[4:8] != b"TFL3":
            raise EdgestyleError("not a TFLite model (missing the TFL3 file identifier)")
        root = _deref(model_bytes, 0)
        buffers_start, buffer_count = _vector(model_bytes, root, _MODEL_BUFFERS)
        meta_start, meta_count = _vector(model_bytes, root, _MODEL_METADATA)
        entries: dict[str, bytes] = {}
        for i in range(meta_count):
            meta = _table_at(model_bytes, meta_start, i)
            name_pos = _field_pos(model_bytes, meta, 0)
            buffer_pos = _field_pos(model_bytes, meta, 1)
            if name_pos is None or buffer_pos is None:
                continue
            name_vec = _deref(model_bytes, name_pos)
            name_len = struct.unpack_from("<I", model_bytes, name_vec)[0]
            name = model_bytes[name_vec + 4 : name_vec + 4 + name_len].decode("utf-8", "replace")
            index = struct.unpack_from("<I", model_bytes, buffer_pos)[0]
            if index < buffer_count:
                entries[name] = _buffer_bytes(model_bytes, _table_at(model_bytes, buffers_start, index))
        return entries
    except (struct.error, IndexError) as exc:
        raise EdgestyleError(f"corrupt TFLite model: {exc}") from None


def with_metadata(model_bytes: bytes, name: str, payload: bytes) -> bytes:
    """Return ``model_bytes`` with metadata entry ``name`` set to ``payload`` (host side)."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    existing = [m for m in (model.metadata or []) if _decode(m.name) == name]
    if existing:  # rewrite the entry's own buffer: appending would leave the old payload behind
        entry = existing[0]
        model.buffers[entry.buffer] = buffer
    else:
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(model.buffers) - 1
        model.metadata = [*(model.metadata or []), entry]
    return pack_model(model, len(model_bytes) + len(payload) + 1024)


def pack_model(model: Any, size_hint: int = 1024) -> bytes:
    """A ``schema.ModelT`` (the object API of the TFLite schema) back to ``.tflite`` bytes."""
    import flatbuffers

    builder = flatbuffers.Builder(size_hint)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _decode(name: str | bytes | None) -> str:
    return name.decode("utf-8") if isinstance(name, bytes) else (name or "")
