"""The saved tf.data dataset of the bench: N photo-like 96x96x3 uint8 images with int64 labels 0..9,
saved UNBATCHED by tf.data.Dataset.save (default compression NONE, or --compression GZIP).

Usage: python saved_fixture.py OUT_DIR N [--compression GZIP]
Deterministic (numpy RandomState(0)); the arrays are filled in chunks, so the script needs little RAM
beyond them (20,000 images: 553 MB, plus TensorFlow's copy of them as the dataset's constant).
Prints one JSON line: seconds to save, elements, compression, bytes on disk.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SIZE = 96
CHUNK = 1000


def arrays(n):
    """Photo-like noise: a smooth 12x12 colour field upsampled 8x, plus fine grain; labels 0..9."""
    rng = np.random.RandomState(0)
    x = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    y = np.empty((n,), dtype=np.int64)
    for start in range(0, n, CHUNK):
        k = min(CHUNK, n - start)
        coarse = rng.randint(0, 256, size=(k, SIZE // 8, SIZE // 8, 3)).astype(np.int16)
        smooth = coarse.repeat(8, axis=1).repeat(8, axis=2)
        grain = rng.randint(-12, 13, size=(k, SIZE, SIZE, 3), dtype=np.int16)
        x[start:start + k] = np.clip(smooth + grain, 0, 255).astype(np.uint8)
        y[start:start + k] = rng.randint(0, 10, size=k)
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("n", type=int)
    parser.add_argument("--compression", choices=["NONE", "GZIP"], default="NONE")
    args = parser.parse_args()
    x, y = arrays(args.n)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    start = time.perf_counter()
    ds.save(args.out_dir, compression=None if args.compression == "NONE" else args.compression)
    seconds = time.perf_counter() - start
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out_dir) for f in fs)
    print(json.dumps({"seconds": seconds, "elements": args.n, "compression": args.compression,
                      "bytes": size}))


if __name__ == "__main__":
    main()
