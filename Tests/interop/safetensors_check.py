#!/usr/bin/env python3
"""Interoperability check between cotrain's safetensors code and the Python package.

  safetensors_check.py read FILE        FILE was written by cotrain; FILE.json (written
                                        alongside) lists metadata and, per tensor, dtype,
                                        shape and source values (float32 bits for
                                        F32/F16/BF16, Int64 bit patterns for F64 and
                                        U64, integers otherwise). Loads FILE with
                                        safetensors (load_file / safe_open, or the Rust
                                        deserializer for BF16, which NumPy lacks) and
                                        compares every tensor bit for bit with values
                                        NumPy converts from the sources.
  safetensors_check.py write FILE       Writes FILE with safetensors.numpy.save_file
                                        (every NumPy dtype, special values, metadata).
  safetensors_check.py write-bf16 FILE  Writes FILE with safetensors.serialize_file,
                                        holding BF16 tensors from raw uint16 patterns.
  Both write modes put FILE.json beside FILE: metadata and, per tensor, dtype, shape,
  the raw little-endian bytes (hex) and, for float tensors, the value of each element
  as float32 bits, for cotrain to compare.

Exit status 0 on success; on a mismatch, prints what differs and exits 1.
"""
import json
import sys

import numpy as np
from safetensors import TensorSpec, deserialize, safe_open, serialize_file
from safetensors.numpy import load_file, save_file

NUMPY_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32,
    "I64": np.int64, "U64": np.uint64, "F64": np.float64,
}


def bf16_bits(f32_bits):
    """Float32 bit patterns -> bfloat16 patterns, round to nearest even; NaN made quiet."""
    out = []
    for bits in f32_bits:
        if bits & 0x7FFFFFFF > 0x7F800000:
            out.append((bits >> 16) | 0x0040)
        else:
            out.append(((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF)
    return np.array(out, dtype="<u2")


def expected_bytes(dtype, values):
    """The little-endian bytes a tensor of `dtype` holds for the source `values`."""
    if dtype in ("F32", "F16"):
        floats = np.array(values, dtype="<u4").view("<f4")
        with np.errstate(over="ignore"):  # values above 65504 become inf in F16, as intended
            return floats.astype(np.dtype(NUMPY_DTYPES[dtype]).newbyteorder("<")).tobytes()
    if dtype == "BF16":
        return bf16_bits(values).tobytes()
    if dtype in ("F64", "U64"):  # carried as the Int64 with the same bits
        return np.array(values, dtype="<i8").tobytes()
    return np.array(values, dtype=np.dtype(NUMPY_DTYPES[dtype]).newbyteorder("<")).tobytes()


def read(path):
    with open(path + ".json") as f:
        spec = json.load(f)
    with open(path, "rb") as f:
        raw = {name: info for name, info in deserialize(f.read())}
    with safe_open(path, framework="np") as f:
        metadata = f.metadata() or {}
        keys = set(f.keys())
    errors = []
    if metadata != spec["metadata"]:
        errors.append(f"metadata {metadata!r} != {spec['metadata']!r}")
    if keys != set(spec["tensors"]):
        errors.append(f"tensor names {sorted(keys)} != {sorted(spec['tensors'])}")
    has_bf16 = any(t["dtype"] == "BF16" for t in spec["tensors"].values())
    arrays = {} if has_bf16 else load_file(path)
    for name, tensor in sorted(spec["tensors"].items()):
        dtype, shape = tensor["dtype"], tensor["shape"]
        want = expected_bytes(dtype, tensor["values"])
        if dtype == "BF16":
            info = raw[name]
            got_dtype, got_shape, got = info["dtype"], list(info["shape"]), bytes(info["data"])
        else:
            if has_bf16:
                with safe_open(path, framework="np") as f:
                    array = f.get_tensor(name)
            else:
                array = arrays[name]
            if array.dtype != np.dtype(NUMPY_DTYPES[dtype]):
                errors.append(f"{name}: numpy dtype {array.dtype} for {dtype}")
            got_dtype, got_shape = dtype, list(array.shape)
            got = array.astype(array.dtype.newbyteorder("<")).tobytes()
            if raw[name]["dtype"] != dtype:
                errors.append(f"{name}: dtype {raw[name]['dtype']} != {dtype}")
        if got_dtype != dtype or got_shape != shape:
            errors.append(f"{name}: {got_dtype}{got_shape} != {dtype}{shape}")
        if got != want:
            errors.append(f"{name}: bytes {got.hex()} != expected {want.hex()}")
    return errors


def f32_bits_of(array):
    return [int(b) for b in array.astype(np.float32).reshape(-1).view(np.uint32)]


def write(path):
    special = np.array([0.0, -0.0, 1.0, -1.5, 65504.0, 65520.0, 1e-8, 6e-5, np.pi, np.inf, -np.inf, np.nan], dtype=np.float32)
    with np.errstate(over="ignore"):
        half = special.astype(np.float16)
    tensors = {
        "shared.f32": special.reshape(3, 4),
        "shared.f16": half,  # 65520 -> inf, 1e-8 -> 0, 6e-5 -> subnormal
        "f64": np.array([1 / 3, -1e300, np.inf, 5e-324], dtype=np.float64),
        "i8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "u8": np.arange(256, dtype=np.uint8).reshape(16, 16),
        "i16": np.array([-32768, 32767], dtype=np.int16),
        "u16": np.array([0, 65535], dtype=np.uint16),
        "i32": np.array([-(2**31), 2**31 - 1], dtype=np.int32).reshape(2, 1, 1),
        "u32": np.array([2**32 - 1], dtype=np.uint32),
        "i64": np.array([-(2**63), 2**53 + 1, 2**63 - 1], dtype=np.int64),
        "u64": np.array([2**64 - 1], dtype=np.uint64),
        "bool": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((3, 0), dtype=np.float32),
    }
    metadata = {"format": "np", "producer": "safetensors_check.py", "ünïcode": "välue"}
    save_file(tensors, path, metadata=metadata)
    spec = {"metadata": metadata, "tensors": {}}
    for name, array in tensors.items():
        entry = {
            "dtype": next(k for k, v in NUMPY_DTYPES.items() if np.dtype(v) == array.dtype),
            "shape": list(array.shape),
            "hex": array.astype(array.dtype.newbyteorder("<")).tobytes().hex(),
        }
        if array.dtype.kind == "f" and array.dtype.itemsize <= 4:
            entry["f32"] = f32_bits_of(array)
        spec["tensors"][name] = entry
    with open(path + ".json", "w") as f:
        json.dump(spec, f)


def write_bf16(path):
    sources = np.array([1.0, -2.0, 3.14159, 1e-40, 3.4e38, np.inf, np.nan], dtype=np.float32)
    bits = bf16_bits([int(b) for b in sources.view(np.uint32)])
    spec = {"metadata": {"kind": "bf16"}, "tensors": {}}
    serialize_file(
        {"w": TensorSpec(dtype="bfloat16", shape=[7], data_ptr=bits.ctypes.data, data_len=bits.nbytes)},
        path, metadata=spec["metadata"])
    spec["tensors"]["w"] = {
        "dtype": "BF16", "shape": [7], "hex": bits.tobytes().hex(),
        "f32": [int(b) << 16 for b in bits],
    }
    with open(path + ".json", "w") as f:
        json.dump(spec, f)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write", "write-bf16"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "read":
        errors = read(path)
        for error in errors:
            print(error)
        return 1 if errors else 0
    (write if mode == "write" else write_bf16)(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
