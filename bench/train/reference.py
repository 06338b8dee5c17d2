#!/usr/bin/python3
# bench/train reference: the PyTorch + torchvision loop doing what `kohl train` does in the
# benchmark. Same network (torchvision resnet18, num_classes outputs: Kohl's resnet18 has
# its layout and parameter count), same input size, batch, optimizer (Adam, lr 1e-3), same
# PNG files and preprocessing as Kohl's loader (docs/training.md "Data": decode with
# OpenCV, INTER_AREA resize to SIZE, BGR -> RGB, /255, ImageNet mean/std, CHW float), a
# DataLoader with 2 worker processes and at most 4 batches ahead (prefetch_factor 2 x 2
# workers, as Kohl's queue of 4), torch.set_num_threads(THREADS). Each epoch trains, then
# validates under no_grad (not timed, like Kohl's images_per_s, which covers the training
# part of the epoch only).
#
# Usage: reference.py LABELS_CSV --classes 1,2,...,10 --size 128 --batch 32
#        --threads 2 --workers 2 --epochs E --label-set monk
# LABELS_CSV is `kohl data export --format csv --snapshot S` output (columns path, split,
# label.<set>, ...): its train and val rows, byte-identical copies of the project's PNGs.
# Prints one JSON line: {"images_per_s": [per epoch], "train_images": n, ...}.
import argparse
import csv
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, Dataset

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def read_rows(path, split, label_set, classes):
    rows = []
    base = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            label = r.get("label." + label_set, "")
            if r.get("split") != split or label not in classes:
                continue
            p = r["path"]
            rows.append((p if os.path.isabs(p) else os.path.join(base, p), classes.index(label)))
    return rows


class Faces(Dataset):
    def __init__(self, rows, size):
        self.rows, self.size = rows, size

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, y = self.rows[i]
        img = cv2.imread(path, cv2.IMREAD_COLOR)  # BGR, as Kohl's codecs::read
        if img is None:
            raise RuntimeError(path + ": cannot decode")
        img = cv2.resize(img, (self.size, self.size), interpolation=cv2.INTER_AREA)
        x = (img[:, :, ::-1].astype(np.float32) / 255.0 - MEAN) / STD
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), y


def worker_init(_):
    cv2.setNumThreads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--classes", required=True)
    ap.add_argument("--label-set", default="monk")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    classes = a.classes.split(",")
    train_rows = read_rows(a.csv, "train", a.label_set, classes)
    val_rows = read_rows(a.csv, "val", a.label_set, classes)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = torchvision.models.resnet18(num_classes=len(classes))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    kw = dict(batch_size=a.batch, num_workers=a.workers, worker_init_fn=worker_init)
    if a.workers > 0:
        kw["prefetch_factor"] = 2
    train_loader = DataLoader(Faces(train_rows, a.size), shuffle=True, **kw)
    val_loader = DataLoader(Faces(val_rows, a.size), shuffle=False, **kw)

    rates, losses, val_acc = [], [], []
    for epoch in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            opt.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum().item())
            seen += len(y)
        secs = time.perf_counter() - t0
        rates.append(seen / secs)
        losses.append(loss_sum / max(1, seen))
        model.eval()
        vc, vs = 0, 0
        with torch.no_grad():
            for x, y in val_loader:
                logits = model(x)
                vc += int((logits.argmax(1) == y).sum().item())
                vs += len(y)
        val_acc.append(vc / max(1, vs))
        print(f"reference epoch {epoch + 1}: {rates[-1]:.2f} images/s, loss {losses[-1]:.4f}, val acc {val_acc[-1]:.3f}",
              file=sys.stderr)
    print(json.dumps({"images_per_s": rates, "loss": losses, "val_accuracy": val_acc, "train_images": len(train_rows),
                      "val_images": len(val_rows), "torch": torch.__version__,
                      "torchvision": torchvision.__version__,
                      "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
