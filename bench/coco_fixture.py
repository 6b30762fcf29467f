"""Writes a synthetic COCO detection set for benchmarks: N images (64x64 PNG or JPEG by default) in
<out>/val2017/, and <out>/annotations/instances_val2017.json with 0-8 boxes per image (some crowd),
polygon segmentations, and non-contiguous category ids (COCO's own 80 ids, 1..90 with gaps).

    python3 bench/coco_fixture.py /tmp/coco10k                    # 10,000 images, 64x64 PNG
    python3 bench/coco_fixture.py /tmp/coco10k --format jpg --images 10000 --size 64
    python3 bench/coco_fixture.py /tmp/coco2g --images 100 --json-bytes 2000000000

--json-bytes pads the JSON with extra annotations (each a 24-point polygon) on the same images until
the file reaches that size: the large-JSON measurement (peak memory and time of indexing it). The JSON
is written as a stream, so the writer itself stays small whatever the size. Deterministic for a seed.
"""

import argparse
import json
import os
import random

from PIL import Image

# COCO's 80 category ids (1..90 with gaps).
CATEGORY_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]


def write_images(folder, count, size, fmt, rng):
    os.makedirs(folder, exist_ok=True)
    names = []
    for i in range(count):
        name = f"{i:012d}.{fmt}"
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        image = Image.new("RGB", (size, size), colour)
        # A block of another colour, so that images differ in content and not only in mean.
        x, y = rng.randrange(size // 2), rng.randrange(size // 2)
        image.paste((255 - colour[0], colour[1], 255 - colour[2]), (x, y, x + size // 3, y + size // 3))
        image.save(os.path.join(folder, name), quality=90) if fmt == "jpg" else image.save(os.path.join(folder, name))
        names.append(name)
    return names


def annotation(ann_id, image_id, size, rng, points=4):
    w, h = rng.uniform(1, size / 2), rng.uniform(1, size / 2)
    x, y = rng.uniform(0, size - w), rng.uniform(0, size - h)
    ring = []
    for k in range(points):
        # Points on the box's outline, clockwise.
        t = k / points
        if t < 0.25:
            ring += [x + w * t * 4, y]
        elif t < 0.5:
            ring += [x + w, y + h * (t - 0.25) * 4]
        elif t < 0.75:
            ring += [x + w * (0.75 - t) * 4, y + h]
        else:
            ring += [x, y + h * (1 - t) * 4]
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": rng.choice(CATEGORY_IDS),
        "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
        "area": round(w * h, 2),
        "iscrowd": int(rng.random() < 0.05),
        "segmentation": [[round(v, 2) for v in ring]],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--format", choices=["png", "jpg"], default="png")
    parser.add_argument("--max-boxes", type=int, default=8)
    parser.add_argument("--json-bytes", type=int, default=0, help="pad the JSON to about this size")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--no-segmentation", action="store_true",
                        help="boxes only (no polygons), so an export writes no masks.npy")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    names = write_images(os.path.join(args.out, "val2017"), args.images, args.size, args.format, rng)
    os.makedirs(os.path.join(args.out, "annotations"), exist_ok=True)
    path = os.path.join(args.out, "annotations", "instances_val2017.json")
    boxes = 0
    with open(path, "w") as f:
        f.write('{"info": {"description": "batchscope synthetic COCO"}, "licenses": [],\n"images": ')
        json.dump(
            [{"id": i + 1, "file_name": n, "width": args.size, "height": args.size} for i, n in enumerate(names)], f
        )
        f.write(',\n"annotations": [')
        ann_id = 0
        first = True
        for image_id in range(1, args.images + 1):
            for _ in range(rng.randint(0, args.max_boxes)):
                ann_id += 1
                record = annotation(ann_id, image_id, args.size, rng)
                if args.no_segmentation:
                    del record["segmentation"]
                f.write(("" if first else ",\n") + json.dumps(record))
                first = False
        boxes = ann_id
        while args.json_bytes and f.tell() < args.json_bytes:
            chunk = []
            for _ in range(10_000):
                ann_id += 1
                chunk.append(json.dumps(annotation(ann_id, rng.randint(1, args.images), args.size, rng, 24)))
            f.write(",\n" + ",\n".join(chunk))
        f.write('],\n"categories": ')
        json.dump([{"id": c, "name": f"category {c}", "supercategory": "thing"} for c in CATEGORY_IDS], f)
        f.write("}\n")
    print(f"{args.images} images, {boxes} boxes ({ann_id} annotations), {os.path.getsize(path)} bytes of JSON: {path}")


if __name__ == "__main__":
    main()
