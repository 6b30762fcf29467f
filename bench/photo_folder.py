"""A folder of real photos as JPEGs of varied sizes and settings, for the JPEG decoder comparison.

Usage: python photo_folder.py SKIMAGE_DATA OUT [--per-photo N]

SKIMAGE_DATA is scikit-image's `skimage/data` folder: from an installed scikit-image
(`python -c "import skimage, os; print(os.path.dirname(skimage.__file__) + '/data')"`) or unpacked from
its wheel (`pip download --no-deps scikit-image`, then `unzip -q scikit_image-*.whl 'skimage/data/*'`).
Its photographs (astronaut, chelsea, coffee, motorcycle, rocket, retina...) are re-encoded with
TensorFlow's own JPEG encoder (libjpeg-turbo): N random crops each (default 25), some scaled down
(area), at qualities 50 to 100, 4:2:0 or 4:4:4, baseline or progressive. The three photos that
scikit-image ships as JPEG are also copied as they are. One class folder per photo; the seed is fixed,
so the folder is the same on every run. Nothing is fetched from the network.
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

# The photographs among scikit-image's data (not the drawings, masks or test charts).
PHOTOS = [
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "coffee.png", "coins.png",
    "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png", "motorcycle_left.png",
    "motorcycle_right.png", "retina.jpg", "rocket.jpg",
]


def main():
    data, out = sys.argv[1], sys.argv[2]
    per_photo = int(sys.argv[sys.argv.index("--per-photo") + 1]) if "--per-photo" in sys.argv else 25
    rng = np.random.default_rng(22)
    count = 0
    for name in PHOTOS:
        stem = os.path.splitext(name)[0]
        folder = os.path.join(out, stem)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(data, name)
        if name.endswith(".jpg"):
            shutil.copyfile(path, os.path.join(folder, "original.jpg"))
            count += 1
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        if image.shape[-1] == 4:
            image = image[..., :3]
        height, width = int(image.shape[0]), int(image.shape[1])
        for i in range(per_photo):
            ch = int(rng.integers(max(16, height // 4), height + 1))
            cw = int(rng.integers(max(16, width // 4), width + 1))
            y = int(rng.integers(0, height - ch + 1))
            x = int(rng.integers(0, width - cw + 1))
            crop = image[y:y + ch, x:x + cw]
            if rng.random() < 0.5:
                scale = float(rng.uniform(0.3, 1.0))
                size = (max(8, int(ch * scale)), max(8, int(cw * scale)))
                crop = tf.cast(tf.round(tf.image.resize(crop, size, method="area")), tf.uint8)
            quality = int(rng.choice([50, 75, 85, 90, 95, 100]))
            subsampled = bool(rng.random() < 0.7)
            progressive = bool(rng.random() < 0.3)
            jpeg = tf.io.encode_jpeg(crop, quality=quality, chroma_downsampling=subsampled,
                                     progressive=progressive)
            file = f"{i:03d}_q{quality}_{'420' if subsampled else '444'}{'_prog' if progressive else ''}.jpg"
            tf.io.write_file(os.path.join(folder, file), jpeg)
            count += 1
    print(f"{count} JPEGs in {len(PHOTOS)} classes under {out}")


if __name__ == "__main__":
    main()
