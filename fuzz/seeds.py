#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets: for each target, inputs that
build a valid distribution (f32 and f64, probs and logits, a few shapes)
and then run one operation of each kind, followed by random bytes for the
operation's own arguments. The committed corpus is this, plus regression
inputs, minimised with `cargo fuzz cmin`.

    python3 fuzz/seeds.py OUT_DIR          # writes OUT_DIR/c_abi, OUT_DIR/rust_api

The byte layouts follow fuzz/src/lib.rs (Input) and the targets' decoders;
a seed that drifts from them still decodes (every input does), it just
lands elsewhere.
"""

import os
import random
import sys

rng = random.Random(20261127)


def real(flavor_tag_lo=26):
    """A non-special `Input::real`: a tag >= 26 and a fine byte."""
    return bytes([rng.randrange(flavor_tag_lo, 256), rng.randrange(256)])


def c_abi_seed(f64, specials, k, b, probs, op):
    out = bytearray()
    out.append(1 if specials else 0)  # Input::new: specials bit
    out.append(1 if f64 else 0)  # element type
    out += bytes(4)  # misc: status code 0
    out.append(rng.randrange(5))  # context
    out.append(200)  # k: not 0
    out.append(k - 1)  # Input::k (b >> 6 == 0): 1 + (b & 31)
    out.append(200)  # b: a real count
    out.append(b - 1)  # 1 + upto(..)
    out.append(0)  # temperature_len 1
    out.append(128)  # scalar temperature tag (2^0)
    out.append(rng.randrange(256))
    out.append(12)  # temperature buffer mode: plain
    out.append(1 if probs else 0)  # which: probs / logits
    out.append(0)  # flags 0: validate
    out.append(200)  # row scale
    out.append(0)  # params ld == K
    out.append(12)  # params mode: plain
    for _ in range(b * k):
        out += real()
    out.append(0)  # the other parameter's ignored ld
    out.append(200)  # out-pointer present
    out += rng.randbytes(8)  # generator seed
    out.append(op)
    out += rng.randbytes(rng.randrange(24, 96))
    return bytes(out)


def rust_api_seed(f64, specials, k, b, probs, op):
    out = bytearray()
    out.append(1 if specials else 0)
    out.append(1 if f64 else 0)
    out.append(rng.randrange(3))  # backend
    out.append(200)  # serial on that backend
    out.append(200)  # k: not 0
    out.append(k - 1)
    out.append(b - 1)  # b: 1 + upto(..)
    out.append(200)  # n = b k
    out.append(0)  # temperature_len 1
    out.append(128)
    out.append(rng.randrange(256))
    out.append(1 if probs else 0)
    for _ in range(b * k):
        out += real()
    out.append(200)  # validate
    out.append(op)
    out += rng.randbytes(rng.randrange(24, 96))
    return bytes(out)


def main():
    root = sys.argv[1]
    shapes = [(1, 1), (3, 2), (8, 1), (9, 3), (17, 1), (32, 2)]
    for target, make, ops in [("c_abi", c_abi_seed, 12), ("rust_api", rust_api_seed, 6)]:
        os.makedirs(os.path.join(root, target), exist_ok=True)
        n = 0
        for op in range(ops):
            for f64 in (False, True):
                k, b = shapes[(op + 3 * f64) % len(shapes)]
                probs = (op + f64) % 2 == 1
                specials = op % 3 == 0
                data = make(f64, specials, k, b, probs, op)
                with open(os.path.join(root, target, f"seed-{n:02}"), "wb") as f:
                    f.write(data)
                n += 1
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
