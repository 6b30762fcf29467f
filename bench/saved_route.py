"""The seed's route for a saved tf.data dataset: Dataset.load, batch(32), .numpy() per batch,
np.concatenate, np.save.

Usage: python saved_route.py SAVED_DIR OUT_DIR [--compression GZIP]
(Dataset.load does not detect compression: a GZIP save reads as "corrupted record at 0" unless told.)
Writes OUT_DIR/images.npy and OUT_DIR/labels.npy. Prints one JSON line: seconds (from the load to the
saved files), images, shape, dtype, labels.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    saved_dir, out_dir = sys.argv[1], sys.argv[2]
    compression = sys.argv[4] if sys.argv[3:4] == ["--compression"] else None
    start = time.perf_counter()
    ds = tf.data.Dataset.load(saved_dir, compression=compression).batch(32)
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.numpy())
        ys.append(y.numpy())
    images = np.concatenate(xs)
    labels = np.concatenate(ys)
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "images.npy"), images)
    np.save(os.path.join(out_dir, "labels.npy"), labels)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "images": int(images.shape[0]), "shape": list(images.shape),
                      "dtype": str(images.dtype), "labels": int(labels.shape[0]),
                      "labels_dtype": str(labels.dtype)}))


if __name__ == "__main__":
    main()
