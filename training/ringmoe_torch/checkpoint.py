"""Checkpoint writers and readers without MindSpore: MindSpore .ckpt (protobuf proto2, hand-encoded)
and safetensors. A saved checkpoint holds only parameters (released names + our extensions), no buffers.

.ckpt: Checkpoint { repeated Value value = 1 }, Value { string tag = 1; TensorProto tensor = 2 },
TensorProto { repeated int64 dims = 1; string tensor_type = 2; bytes tensor_content = 3 }.
dims are written unpacked (proto2 default); the reader accepts packed too. A tensor may be split
into several Values with the same tag whose dim 0 pieces concatenate."""
import json
import struct
from collections import OrderedDict

import numpy as np

_NP = {'Float32': np.float32, 'Float16': np.float16, 'Int32': np.int32, 'Int64': np.int64}
_ST = {'F32': np.float32, 'F16': np.float16, 'I32': np.int32, 'I64': np.int64}
_ST_NAME = {np.dtype(np.float32): 'F32', np.dtype(np.float16): 'F16'}


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int64 as two's complement
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint((num << 3) | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _tensor_proto(arr):
    dims = b''.join(_field(1, 0, _varint(int(d))) for d in arr.shape)
    kind = {np.dtype(np.float32): 'Float32', np.dtype(np.float16): 'Float16'}[arr.dtype]
    return dims + _field(2, 2, kind.encode()) + _field(3, 2, np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes())


def to_numpy_dict(state):
    """{name: tensor|ndarray} → OrderedDict of float32 numpy arrays."""
    out = OrderedDict()
    for k, v in state.items():
        a = v.detach().cpu().numpy() if hasattr(v, 'detach') else np.asarray(v)
        out[k] = np.ascontiguousarray(a.astype(np.float32))
    return out


def write_ckpt(path, tensors, split=None):
    """Writes a MindSpore .ckpt. `split` = {name: pieces}: that tensor is stored as several Values (dim 0 split)."""
    split = split or {}
    chunks = []
    for name, arr in tensors.items():
        pieces = split.get(name, 1)
        parts = np.array_split(arr, pieces, axis=0) if pieces > 1 and arr.ndim and arr.shape[0] >= pieces else [arr]
        for p in parts:
            value = _field(1, 2, name.encode()) + _field(2, 2, _tensor_proto(p))
            chunks.append(_field(1, 2, value))
    with open(path, 'wb') as f:
        f.write(b''.join(chunks))


def _read_varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _messages(buf):
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _read_varint(buf, pos)
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            val = buf[pos:pos + n]
            pos += n
        elif wire == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wire == 5:
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f'E_CKPT_FORMAT: unsupported wire type {wire}')
        yield num, wire, val


def read_ckpt(path):
    """Reads a .ckpt into an OrderedDict of numpy arrays (split Values concatenated)."""
    with open(path, 'rb') as f:
        buf = f.read()
    parts = OrderedDict()
    for num, wire, value in _messages(buf):
        if num != 1 or wire != 2:
            continue
        tag, dims, kind, content = None, [], None, b''
        for n2, w2, v2 in _messages(value):
            if n2 == 1:
                tag = bytes(v2).decode()
            elif n2 == 2:
                for n3, w3, v3 in _messages(v2):
                    if n3 == 1 and w3 == 0:
                        dims.append(v3 if v3 < 1 << 63 else v3 - (1 << 64))
                    elif n3 == 1 and w3 == 2:
                        p = 0
                        while p < len(v3):
                            d, p = _read_varint(v3, p)
                            dims.append(d)
                    elif n3 == 2:
                        kind = bytes(v3).decode()
                    elif n3 == 3:
                        content = bytes(v3)
        parts.setdefault(tag, []).append((dims, kind, content))
    out = OrderedDict()
    for tag, pieces in parts.items():
        dims, kind, _ = pieces[0]
        dt = np.dtype(_NP[kind]).newbyteorder('<')
        data = b''.join(p[2] for p in pieces)
        shape = list(dims)
        if len(pieces) > 1:
            shape[0] = sum(p[0][0] for p in pieces)
        out[tag] = np.frombuffer(data, dtype=dt).reshape(shape).astype(_NP[kind])
    return out


def write_safetensors(path, tensors, metadata=None):
    header = OrderedDict()
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': _ST_NAME[arr.dtype], 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, 'rb') as f:
        buf = f.read()
    (n,) = struct.unpack('<Q', buf[:8])
    header = json.loads(buf[8:8 + n])
    base = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        if name == '__metadata__':
            continue
        s, e = info['data_offsets']
        dt = np.dtype(_ST[info['dtype']]).newbyteorder('<')
        out[name] = np.frombuffer(buf[base + s:base + e], dtype=dt).reshape(info['shape']).astype(_ST[info['dtype']])
    return out


def checkpoint_tensors(model):
    """The parameters of `model` under their released names (no buffers)."""
    return to_numpy_dict(OrderedDict(model.named_parameters()))


def load_into(model, tensors, strict=True):
    """Loads released-name tensors into `model` (parameters only)."""
    import torch
    params = dict(model.named_parameters())
    missing = [k for k in params if k not in tensors]
    unexpected = [k for k in tensors if k not in params]
    if strict and (missing or unexpected):
        raise KeyError(f'E_CKPT_NAMES: missing {missing[:5]}, unexpected {unexpected[:5]}')
    with torch.no_grad():
        for k, p in params.items():
            if k in tensors:
                a = tensors[k]
                if tuple(a.shape) != tuple(p.shape):
                    raise ValueError(f'E_CKPT_SHAPE: {k}: checkpoint {a.shape} vs model {tuple(p.shape)}')
                p.copy_(torch.from_numpy(np.array(a, dtype=np.float32)))
    return missing, unexpected
