"""A Hugging Face `datasets` fixture for the save_to_disk benchmark: N images of 64x64 RGB (PNG, as
`datasets` encodes a PIL image) with a ClassLabel of 10 names, saved with `save_to_disk`.

Usage: python hf_fixture.py OUT_DIR [N]   (N defaults to 20000)
The images are 16x16 random blocks scaled up 4x, so PNG compresses them as it would a small photo.
"""
import sys

import numpy as np
from datasets import ClassLabel, Dataset, Features, Image
from PIL import Image as PILImage


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = np.random.RandomState(0)
    features = Features({"image": Image(), "label": ClassLabel(names=[f"c{k}" for k in range(10)])})

    def rows():
        for k in range(n):
            small = rng.randint(0, 256, (16, 16, 3), dtype=np.uint8)
            big = np.kron(small, np.ones((4, 4, 1), dtype=np.uint8))
            yield {"image": PILImage.fromarray(big), "label": k % 10}

    Dataset.from_generator(rows, features=features).save_to_disk(out)


if __name__ == "__main__":
    main()
