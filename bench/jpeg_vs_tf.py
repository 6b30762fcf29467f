"""How far each `--jpeg` decoder's pixels are from TensorFlow's, per image, on a folder of JPEGs.

Usage: python jpeg_vs_tf.py BATCHSCOPE DIR [--size HxW] [--work TMP]

For each decoder (fast, exact) and for native size and `--size` (default 224x224, bilinear):
batchscope exports DIR; TensorFlow decodes the same files as Keras does (`tf.io.decode_image(...,
channels=3, expand_animations=False)`, then `tf.image.resize` for the resized case, which is what
`image_dataset_from_directory` runs) in the manifest's order. At native size the images differ in size,
so each file is exported on its own (a one-file folder, `--labels none`). The resized exports are
float32, so nothing is rounded before the comparison.

Prints, per decoder and size, over the images: how many equal TensorFlow's exactly, the per-image
max |diff| (levels of 0..255) median, 90th percentile and maximum, the share of images whose max
|diff| is over 4 levels, and the mean |diff| over all pixels; then one JSON line with the same.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def export(batchscope, data, out, *args):
    if os.path.exists(out):
        shutil.rmtree(out)
    subprocess.run([batchscope, "export", data, "--out", out, *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    paths = []
    with open(os.path.join(out, "manifest.csv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            paths.append(line.split(",")[1])
    return np.load(os.path.join(out, "images.npy")), paths


def tf_pixels(path, size):
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    if size is None:
        return image.numpy()
    return tf.image.resize(image, size, method="bilinear").numpy()


def stats(diffs, means):
    diffs = np.asarray(diffs, dtype=np.float64)
    return {
        "images": int(diffs.size),
        "equal": int((diffs == 0).sum()),
        "median": float(np.median(diffs)),
        "p90": float(np.percentile(diffs, 90)),
        "max": float(diffs.max()),
        "over4": float((diffs > 4).mean()),
        "mean_abs": float(np.mean(means)),
    }


def main():
    batchscope, data = sys.argv[1], sys.argv[2]
    size = (224, 224)
    if "--size" in sys.argv:
        h, w = sys.argv[sys.argv.index("--size") + 1].split("x")
        size = (int(h), int(w))
    work = sys.argv[sys.argv.index("--work") + 1] if "--work" in sys.argv else tempfile.mkdtemp()
    files = sorted(
        os.path.relpath(os.path.join(root, f), data)
        for root, _, names in os.walk(data) for f in names if f.lower().endswith((".jpg", ".jpeg"))
    )
    results = {}
    worst = {}
    for jpeg in ["fast", "exact"]:
        # Native size: one export per file.
        diffs, means = [], []
        for i, rel in enumerate(files):
            one = os.path.join(work, "one")
            shutil.rmtree(one, ignore_errors=True)
            os.makedirs(one)
            shutil.copyfile(os.path.join(data, rel), os.path.join(one, "x.jpg"))
            ours, _ = export(batchscope, one, os.path.join(work, "out1"), "--labels", "none", "--jpeg", jpeg)
            theirs = tf_pixels(os.path.join(data, rel), None)
            d = np.abs(ours[0].astype(np.int16) - theirs.astype(np.int16))
            diffs.append(int(d.max()))
            means.append(float(d.mean()))
        results[f"{jpeg} native"] = stats(diffs, means)
        worst[f"{jpeg} native"] = files[int(np.argmax(diffs))]
        # Resized: one export of the folder, float32.
        ours, paths = export(batchscope, data, os.path.join(work, "outr"), "--image-size",
                             f"{size[0]}x{size[1]}", "--dtype", "float32", "--jpeg", jpeg)
        diffs, means = [], []
        for k, rel in enumerate(paths):
            theirs = tf_pixels(os.path.join(data, rel), size)
            d = np.abs(ours[k].astype(np.float64) - theirs.astype(np.float64))
            diffs.append(float(d.max()))
            means.append(float(d.mean()))
        results[f"{jpeg} {size[0]}x{size[1]}"] = stats(diffs, means)
        worst[f"{jpeg} {size[0]}x{size[1]}"] = paths[int(np.argmax(diffs))]
    print(f"{len(files)} JPEGs in {data}; per-image max |diff| against TensorFlow, in levels of 0..255")
    print(f"{'decoder, size':<22}{'equal':>10}{'median':>8}{'p90':>8}{'max':>8}{'over 4':>8}{'mean':>8}  worst file")
    for key, s in results.items():
        print(f"{key:<22}{s['equal']:>5}/{s['images']:<4}{s['median']:>8.2f}{s['p90']:>8.2f}{s['max']:>8.2f}"
              f"{100 * s['over4']:>7.1f}%{s['mean_abs']:>8.3f}  {worst[key]}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
