"""The route `datasets` users write to get arrays out of a save_to_disk folder: load_from_disk,
with_format("numpy"), iterate in batches of 1000, np.concatenate, np.save.

Usage: python hf_route.py SAVED_DIR OUT_DIR
Writes OUT_DIR/images.npy and OUT_DIR/labels.npy. Prints one JSON line: seconds (from the load to the
saved files), images, shape, dtype, labels.
"""
import json
import os
import sys
import time

import numpy as np
from datasets import load_from_disk


def main():
    saved_dir, out_dir = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    ds = load_from_disk(saved_dir).with_format("numpy")
    xs, ys = [], []
    for batch in ds.iter(batch_size=1000):
        xs.append(batch["image"])
        ys.append(batch["label"])
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
