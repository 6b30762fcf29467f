"""Compares batchscope's exports with TensorFlow's image_dataset_from_directory on the same folders.

Usage: python tf_parity.py CASES.json
Each case: {"name", "data", "out", "keras": {kwargs}, "tolerance": float, "compare": "images"|"files"}.
"images": arrays and labels in order (shuffle=False); "files": the file list Keras selected (file_paths)
against our manifest, in order. Prints one line per case and exits 1 if any case is out of tolerance.
"""
import csv
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def keras_arrays(data, kwargs):
    ds = tf.keras.utils.image_dataset_from_directory(data, verbose=False, **kwargs)
    xs, ys = [], []
    for batch in ds:
        if isinstance(batch, tuple):
            xs.append(batch[0].numpy())
            ys.append(batch[1].numpy())
        else:
            xs.append(batch.numpy())
    x = np.concatenate(xs)
    y = np.concatenate(ys) if ys else None
    return ds, x, y


def main():
    cases = json.load(open(sys.argv[1]))
    failed = 0
    for case in cases:
        kwargs = dict(case["keras"])
        if "image_size" in kwargs:
            kwargs["image_size"] = tuple(kwargs["image_size"])
        out = case["out"]
        if case["compare"] == "files":
            ds = tf.keras.utils.image_dataset_from_directory(case["data"], verbose=False, **kwargs)
            theirs = [os.path.relpath(p, case["data"]).replace(os.sep, "/") for p in ds.file_paths]
            with open(os.path.join(out, "manifest.csv"), newline="") as f:
                ours = [row["path"] for row in csv.DictReader(f)]
            ok = theirs == ours
            print(f"{case['name']:<22} files {'identical' if ok else 'DIFFER'} ({len(ours)} files)")
            failed += not ok
            continue
        _, x, y = keras_arrays(case["data"], kwargs)
        ours = np.load(os.path.join(out, "images.npy")).astype(np.float32)
        if ours.shape != x.shape:
            print(f"{case['name']:<22} SHAPE {ours.shape} != keras {x.shape}")
            failed += 1
            continue
        diff = np.abs(ours - x)
        max_diff = float(diff.max()) if diff.size else 0.0
        exact = float((diff == 0).mean()) if diff.size else 1.0
        labels_ok = True
        if y is not None and os.path.exists(os.path.join(out, "labels.npy")):
            our_y = np.load(os.path.join(out, "labels.npy"))
            labels_ok = our_y.dtype == y.dtype and our_y.shape == y.shape and bool((our_y == y).all())
        ok = max_diff <= case["tolerance"] and labels_ok
        print(
            f"{case['name']:<22} {str(x.shape):<18} max|diff| {max_diff:8.4f}  exact {exact:7.2%}"
            f"  mean|diff| {float(diff.mean()):.4f}  labels {'ok' if labels_ok else 'DIFFER'}"
            f"  {'ok' if ok else 'FAIL (tolerance ' + str(case['tolerance']) + ')'}"
        )
        failed += not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
