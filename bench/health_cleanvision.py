"""CleanVision on a folder, for examples/health_bench.rs: times `Imagelab(data_path=...).find_issues()`
and writes what it found as JSON, with paths relative to the folder and `/` separators.

    python3 bench/health_cleanvision.py DATA OUT.json

OUT.json: {"seconds": ..., "images": N, "duplicates": [{"kind": "exact"|"near", "paths": [...]}],
"flags": [{"path": ..., "kind": ...}]} with CleanVision's issue names mapped to batchscope's
(`dark`, `light`, `blurry`, `low_information`, `grayscale`, `odd_aspect_ratio`, `odd_size`).
"""

import json
import os
import sys
import time


def main():
    data, out = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    from cleanvision import Imagelab  # the import is part of the tool's cost, as a user pays it

    lab = Imagelab(data_path=data)
    lab.find_issues()
    seconds = time.perf_counter() - started

    def rel(path):
        return os.path.relpath(path, data).replace(os.sep, "/")

    duplicates = []
    for kind in ("exact", "near"):
        info = lab.info.get(f"{kind}_duplicates", {})
        for group in info.get("sets", []):
            duplicates.append({"kind": kind, "paths": sorted(rel(p) for p in group)})
    flags = []
    issues = lab.issues
    kinds = [
        "dark",
        "light",
        "blurry",
        "low_information",
        "grayscale",
        "odd_aspect_ratio",
        "odd_size",
    ]
    for kind in kinds:
        column = f"is_{kind}_issue"
        if column not in issues.columns:
            continue
        for path in issues.index[issues[column]]:
            flags.append({"path": rel(path), "kind": kind})
    with open(out, "w") as f:
        json.dump(
            {
                "seconds": seconds,
                "images": len(issues),
                "duplicates": duplicates,
                "flags": flags,
            },
            f,
        )


if __name__ == "__main__":
    main()
