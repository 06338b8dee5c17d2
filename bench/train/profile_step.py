#!/usr/bin/python3
# bench/train/profile_step.py: where one training step of the benchmark's work goes, and the
# most any engine could gain over PyTorch at equal work on this machine.
#
# The step is bench/train's: ResNet-18 (torchvision's layout, which Kohl's resnet18 plugin
# follows) at 128 px, batch 32, Adam, cross-entropy, THREADS threads, on a batch already in
# memory. Kohl's LibTorch and Debian's python3-torch are the same libtorch_cpu and oneDNN,
# so the operators' times hold for both. Prints:
#   - seconds per step (median) and the share of each kind of operator (torch.profiler);
#   - the convolutions' work (multiply-adds counted from the layer shapes: forward, and
#     backward as input gradient + weight gradient, none for the first layer's input) and
#     the rate oneDNN reaches on it, against its rate on one large 3x3 convolution (the best
#     case for its kernels on this CPU);
#   - the ceiling: the step if everything but the convolutions cost nothing and every
#     convolution ran at that best rate, as a speed-up over the measured step.
# Usage: /usr/bin/python3 bench/train/profile_step.py [--threads 2] [--steps 5]
import argparse
import statistics
import time

import torch
import torchvision


def timed(fn, steps, pick=statistics.median):
    for _ in range(2):
        fn()
    out = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return pick(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    model = torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, 10, (a.batch,))

    # Convolution multiply-adds from the shapes seen in one forward pass.
    macs = []

    def count(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        macs.append(out.numel() * (mod.in_channels // mod.groups) * k)

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    model(x)
    for h in hooks:
        h.remove()
    fwd = sum(macs)
    bwd = 2 * fwd - macs[0]  # input and weight gradients; the image needs no gradient
    conv_flop = 2 * (fwd + bwd)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    sec = timed(step, a.steps)

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    kinds = {"convolution forward": ["aten::mkldnn_convolution", "aten::thnn_conv2d", "aten::_slow_conv2d_forward"],
             "convolution backward": ["aten::convolution_backward"],
             "batch norm": ["aten::native_batch_norm", "aten::native_batch_norm_backward"],
             "relu": ["aten::relu_", "aten::clamp_min_", "aten::threshold_backward"],
             "max pool": ["aten::max_pool2d_with_indices", "aten::max_pool2d_with_indices_backward"]}
    self_us = {}
    for ev in prof.key_averages():
        self_us[ev.key] = self_us.get(ev.key, 0) + ev.self_cpu_time_total
    total = sum(self_us.values())
    shares = {}
    for kind, names in kinds.items():
        shares[kind] = sum(self_us.get(n, 0) for n in names) / total
    shares["everything else (optimizer, add, loss, ...)"] = 1 - sum(shares.values())
    conv_share = shares["convolution forward"] + shares["convolution backward"]
    conv_sec = sec * conv_share

    # oneDNN's rate on one large 3x3 convolution, forward (its best case here).
    big = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False)
    bx = torch.randn(32, 256, 16, 16)
    with torch.no_grad():
        bsec = timed(lambda: big(bx), 20, min)  # the best of 20: this is the best case
    best = 2 * 32 * 256 * 256 * 9 * 16 * 16 / bsec

    floor = conv_flop / best
    print(f"step: {sec:.3f} s ({a.batch / sec:.1f} images/s), resnet18 {a.size} px, batch {a.batch}, "
          f"{a.threads} threads, torch {torch.__version__}")
    for kind, s in shares.items():
        print(f"  {kind:45s} {100 * s:5.1f} %")
    print(f"convolutions: {conv_flop / 1e9:.1f} GFLOP a step, {conv_sec:.3f} s = {conv_flop / conv_sec / 1e9:.0f} GFLOP/s")
    print(f"oneDNN best case (3x3, 256 channels, 16x16, batch 32): {best / 1e9:.0f} GFLOP/s")
    print(f"ceiling at equal work: {floor:.3f} s a step ({a.batch / floor:.1f} images/s) if only the convolutions "
          f"cost, at the best rate = {sec / floor:.2f}x the measured step")
    print(f"RESULT train_ceiling speedup_max={sec / floor:.2f} ceiling_images_per_s={a.batch / floor:.1f} "
          f"step_s={sec:.3f} conv_share={conv_share:.3f} conv_gflops={conv_flop / conv_sec / 1e9:.0f} "
          f"best_gflops={best / 1e9:.0f}")


if __name__ == "__main__":
    main()
