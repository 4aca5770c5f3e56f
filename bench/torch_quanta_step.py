"""Time one training step of the quantization model (Michaud et al. 2023) in PyTorch on CPU.

The paper's multitask sparse-parity step (docs/science/quanta.md section 1), at the full-C4
shape of experiments/quanta_c4_full.toml: 500 tasks, n = 100 bits, k = 3, code alpha 1.4,
batch 20 000, the MLP Linear(600 -> w) -> ReLU -> Linear(w -> 2), cross-entropy, AdamW
(lr 1e-3, no weight decay), float32. Per step, as the authors' training loop does:
  * the batch: B task draws from the Zipf frequencies, fresh uniform bits, the one-hot task
    concatenated with the bits into a dense B x 600 float input (the authors' get_batch),
    labels the parity of each task's subset;
  * zero_grad, forward, loss, backward, optimizer step, loss.item().

Forms (--forms): eager; compiled (the model and loss under torch.compile, inductor; the
sampling and the optimizer stay eager). Threads set with torch.set_num_threads.

Usage: bash bench/run_torch.sh quanta [--widths 50,300] [--threads 1,2] [--steps 10] [--warmup 3]
Prints one line per (form, width, threads): mean CPU seconds per step (time.process_time, all
threads of the process) and mean wall seconds per step, then a JSON object.
"""
import argparse
import json
import time

import torch
from torch import nn

N_TASKS, N_BITS, K, ALPHA, BATCH = 500, 100, 3, 1.4, 20_000


def make_task(generator):
    # k distinct bits per task (duplicates are harmless for timing).
    subsets = torch.stack([torch.randperm(N_BITS, generator=generator)[:K] for _ in range(N_TASKS)])
    ranks = torch.arange(1, N_TASKS + 1, dtype=torch.float64)
    probabilities = ranks ** -ALPHA
    return subsets, (probabilities / probabilities.sum()).float()


def get_batch(subsets, probabilities, generator):
    tasks = torch.multinomial(probabilities, BATCH, replacement=True, generator=generator)
    tasks, _ = torch.sort(tasks)  # grouped by task, as the authors' batches are
    bits = torch.randint(0, 2, (BATCH, N_BITS), generator=generator)
    labels = torch.gather(bits, 1, subsets[tasks]).sum(dim=1) % 2
    x = torch.cat([nn.functional.one_hot(tasks, N_TASKS), bits], dim=1).float()
    return x, labels


def time_form(form, width, threads, steps, warmup):
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    subsets, probabilities = make_task(generator)
    model = nn.Sequential(nn.Linear(N_TASKS + N_BITS, width), nn.ReLU(), nn.Linear(width, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    criterion = nn.CrossEntropyLoss()

    def loss_of(x, y):
        return criterion(model(x), y)

    if form == "compiled":
        loss_of = torch.compile(loss_of)

    def step():
        x, y = get_batch(subsets, probabilities, generator)
        optimizer.zero_grad()
        loss = loss_of(x, y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        loss = step()
    return {
        "form": form,
        "width": width,
        "threads": threads,
        "steps": steps,
        "cpu_s_per_step": (time.process_time() - cpu) / steps,
        "wall_s_per_step": (time.perf_counter() - wall) / steps,
        "last_loss": loss,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--widths", default="50,300")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--forms", default="eager,compiled")
    args = parser.parse_args()
    rows = []
    for form in args.forms.split(","):
        for width in map(int, args.widths.split(",")):
            for threads in map(int, args.threads.split(",")):
                row = time_form(form, width, threads, args.steps, args.warmup)
                rows.append(row)
                print(
                    f"{form:9s} w={width:4d} threads={threads}: {row['cpu_s_per_step']:.4f} CPU s/step, "
                    f"{row['wall_s_per_step']:.4f} wall s/step ({args.steps} steps, loss {row['last_loss']:.4f})",
                    flush=True,
                )
    print(json.dumps({"torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
