#!/usr/bin/env bash
# Checks carbontracker's NVIDIA GPU energy on real hardware against the
# driver's own energy counter, read independently through nvidia-smi.
#
#   scripts/gpu-check.sh [CARBONTRACKER]     (default: ./build/carbontracker)
#
# Needs nvidia-smi, python3, and nvcc or PyTorch; not this project's build
# dependencies (make a self-contained binary with scripts/gpu-bundle.sh).
#   (a) a GPU load (a CUDA program built with nvcc, else a PyTorch matmul
#       loop) for GPU_CHECK_SECONDS (20) under `carbontracker --json`;
#       nvidia-smi's total_energy_consumption before and after;
#   (b) a short PyTorch training loop under `carbontracker --epochs N` that
#       marks its epochs and reads the driver's counter itself at each
#       boundary (GPU_CHECK_EPOCHS=3 epochs of GPU_CHECK_EPOCH_SECONDS=6 s);
#   (c) the cost of one read through the real driver (gpu_bench beside the
#       binary, if there);
#   (d) where the carbontracker Python package imports (e.g. a wheel installed
#       with pip --target and PYTHONPATH): the library's API around a
#       PyTorch loop next to the driver's counter, and the Lightning callback.
# Everything printed is meant to be pasted into BENCHMARKS.md. About 2 minutes.
# GPU_CHECK_FAKE=1 runs the same steps without a GPU (sleep instead of loads),
# for testing this script against the fake NVML.
set -uo pipefail

ct=${1:-./build/carbontracker}
ct=$(cd "$(dirname "$ct")" && pwd)/$(basename "$ct")
seconds=${GPU_CHECK_SECONDS:-20}
epochs=${GPU_CHECK_EPOCHS:-3}
epoch_seconds=${GPU_CHECK_EPOCH_SECONDS:-6}
fake=${GPU_CHECK_FAKE:-0}
work=$(mktemp -d /tmp/gpu-check.XXXXXX)
export CARBONTRACKER_OFFLINE=1  # no network needed for energy; no waiting on timeouts

say() { printf '\n## %s\n' "$*"; }
die() { echo "gpu-check: $*" >&2; exit 1; }

[ -x "$ct" ] || die "no carbontracker binary at $ct (build one with scripts/gpu-bundle.sh)"
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this needs an NVIDIA GPU machine"
command -v python3 >/dev/null || die "python3 not found (used to read the JSON records)"

# Driver counters: a line "time,<unix s>" (when they were read, by the
# reader itself, so that a slow process start does not widen the window),
# then one "index,mJ" line per GPU. nvidia-smi prints the value with its unit
# ("123456 mJ"); convert whatever unit it gives, and its timestamp (local
# time, milliseconds) to Unix seconds.
# Preferred: NVML's counter through pynvml (NVIDIA's own Python binding, none of
# carbontracker's code); older nvidia-smi versions also offer the field.
driver_mj() {
  python3 - 2>/dev/null <<'PYNVML' && return
import time
import pynvml
pynvml.nvmlInit()
values = []
for i in range(pynvml.nvmlDeviceGetCount()):
    h = pynvml.nvmlDeviceGetHandleByIndex(i)
    values.append("%d,%d" % (i, pynvml.nvmlDeviceGetTotalEnergyConsumption(h)))
print("time,%.6f" % time.time())
print("\n".join(values))
PYNVML
  nvidia-smi --query-gpu=timestamp,index,total_energy_consumption --format=csv,noheader |
    awk -F', *' 'NR == 1 { cmd = "date -d \"" $1 "\" +%s.%N"; gsub("/", "-", cmd); cmd | getline t;
                           close(cmd); print "time," t }
                 { split($3, v, " "); m = v[2] == "J" ? 1000 : v[2] == "kJ" ? 1e6 : 1;
                   if (v[1] ~ /^[0-9.]+$/) printf "%s,%.0f\n", $2, v[1] * m; else printf "%s,%s\n", $2, $3 }'
}
now_s() { date +%s.%N; }

say "Machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host: $(uname -srm)"
nvidia-smi -L
nvidia-smi --query-gpu=index,name,driver_version,power.draw,power.limit,total_energy_consumption \
  --format=csv
nvidia-smi --help-query-gpu 2>/dev/null | grep -A2 -i '"total_energy_consumption"' || true
echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-(unset)}"
"$ct" --version
if python3 -c 'import pynvml' 2>/dev/null; then
  echo "pynvml nvmlDeviceGetTotalEnergyConsumption (mJ) next to nvidia-smi's value (unit check):"
  python3 -c '
import pynvml
pynvml.nvmlInit()
for i in range(pynvml.nvmlDeviceGetCount()):
    h = pynvml.nvmlDeviceGetHandleByIndex(i)
    print(i, pynvml.nvmlDeviceGetTotalEnergyConsumption(h))'
  driver_mj
fi

# ---------------------------------------------------------------- (a) load
say "(a) GPU load for ${seconds} s under carbontracker --json"
load=()
if [ "$fake" = 1 ]; then
  load=(sleep "$seconds")
  echo "load: sleep (GPU_CHECK_FAKE=1)"
elif command -v nvcc >/dev/null; then
  cat >"$work/load.cu" <<'CUDA'
// Keeps every SM busy with dependent FMAs for argv[1] seconds, with a 1 s
// pause every 5 s so that the trace is not flat.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
__global__ void burn(float* out, int iters) {
  float a = threadIdx.x * 1e-3f, b = 1.0001f;
  for (int i = 0; i < iters; ++i) {
    a = fmaf(a, b, 1e-7f);
    b = fmaf(b, 0.99999f, 1e-5f);
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = a + b;
}
int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 20;
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) { fprintf(stderr, "no CUDA device\n"); return 1; }
  int blocks = prop.multiProcessorCount * 16, threads = 256;
  float* out;
  cudaMalloc(&out, sizeof(float) * blocks * threads);
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  long kernels = 0;
  double next_pause = 5;
  while (elapsed() < seconds) {
    if (elapsed() >= next_pause && seconds - elapsed() > 2) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      next_pause += 6;
    }
    burn<<<blocks, threads>>>(out, 20000);
    cudaDeviceSynchronize();
    ++kernels;
  }
  printf("load: %s, %ld kernels in %.2f s\n", prop.name, kernels, elapsed());
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
CUDA
  if nvcc -O2 -o "$work/load" "$work/load.cu" 2>"$work/nvcc.log"; then
    load=("$work/load" "$seconds")
    echo "load: CUDA FMA kernel built with $(nvcc --version | tail -1)"
  else
    cat "$work/nvcc.log"
  fi
fi
if [ ${#load[@]} -eq 0 ] && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  cat >"$work/load.py" <<'PY'
import sys, time, torch
seconds = float(sys.argv[1])
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
torch.cuda.synchronize()
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < seconds:
    for _ in range(10):
        c = a @ b
    torch.cuda.synchronize(); n += 10
print(f"load: torch bf16 8192^3 matmul, {n} products in {time.monotonic() - t0:.2f} s")
PY
  load=(python3 "$work/load.py" "$seconds")
  echo "load: PyTorch matmul loop"
fi
[ ${#load[@]} -gt 0 ] || die "no GPU load available (neither nvcc nor PyTorch with CUDA)"

idle_w=$(nvidia-smi --query-gpu=power.draw --format=csv,noheader,nounits | head -1 | tr -d ' ')
driver_mj >"$work/a_before.txt"
t_before=$(now_s)
"$ct" --components gpu --log-dir "$work/logs_a" --json "$work/a.json" -- "${load[@]}"
rc=$?
t_after=$(now_s)
driver_mj >"$work/a_after.txt"
[ $rc -eq 0 ] || echo "warning: carbontracker exited with $rc"
echo "driver counters before (read time; index,mJ): $(paste -sd' ' "$work/a_before.txt")"
echo "driver counters after  (read time; index,mJ): $(paste -sd' ' "$work/a_after.txt")"
python3 - "$work/a.json" "$work/a_before.txt" "$work/a_after.txt" "$t_before" "$t_after" "${idle_w:-0}" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
def counters(path):
    out, read_at = {}, None
    for line in open(path):
        if "," not in line:
            continue
        index, value = line.strip().split(",", 1)
        try:
            if index == "time":
                read_at = float(value)
            else:
                out[index] = float(value)
        except ValueError:  # "[N/A]": no energy counter on this GPU
            out[index] = float("nan")
    return out, read_at
(before, read_before), (after, read_after) = counters(sys.argv[2]), counters(sys.argv[3])
# The driver's window: from its first reading to its second, as stamped by
# the reader; the shell's clock around the readers if they gave no stamp.
if read_before is not None and read_after is not None:
    outer_s = read_after - read_before
else:
    outer_s = float(sys.argv[5]) - float(sys.argv[4])
try:
    idle_w = float(sys.argv[6])
except ValueError:
    idle_w = 0.0
gpus = [d for d in rec["devices"] if d["component"] == "gpu"]
tracker_s = rec["total"]["duration_s"]
print(f"tracker window {tracker_s:.3f} s inside the driver-read window {outer_s:.3f} s; idle power before {idle_w} W")
print("| GPU | source | tracker J | driver delta J | ratio | driver J less idle outside the tracker window | ratio |")
print("|---|---|---|---|---|---|---|")
# The tracker's devices are the visible GPUs in NVML order (all of them
# unless CUDA_VISIBLE_DEVICES is set).
tot_t = tot_d = tot_c = 0.0
for i, d in enumerate(gpus):
    idx = sorted(before, key=int)[i] if i < len(before) else None
    if idx is None:
        print(f"| {d['name']} | no driver counter |"); continue
    drv = (after[idx] - before[idx]) / 1000.0
    corr = drv - idle_w * max(0.0, outer_s - tracker_s)
    t = d["energy_j"]
    tot_t += t; tot_d += drv; tot_c += corr
    print(f"| {idx}: {d['name']} | {d['source']} | {t:.1f} | {drv:.1f} | {t / drv if drv else float('nan'):.4f} | {corr:.1f} | {t / corr if corr else float('nan'):.4f} |")
if len(gpus) > 1:
    print(f"| all | | {tot_t:.1f} | {tot_d:.1f} | {tot_t / tot_d:.4f} | {tot_c:.1f} | {tot_t / tot_c:.4f} |")
for m in rec.get("messages", []):
    print("tracker message:", m)
PY

# ------------------------------------------------------------ (b) training
say "(b) PyTorch training, ${epochs} epochs of ${epoch_seconds} s, under carbontracker --epochs ${epochs}"
if [ "$fake" = 1 ] || python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  cat >"$work/train.py" <<'PY'
# Trains a small MLP on random data; marks epochs for carbontracker and reads
# the driver's energy counters (nvidia-smi) itself at the same boundaries.
import json, os, subprocess, sys, time
epochs, epoch_s, out, fake = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
fd = int(os.environ["CARBONTRACKER_EPOCH_FD"])

def driver_mj():
    try:  # NVML's counter through pynvml, where installed
        import pynvml
        pynvml.nvmlInit()
        return {str(i): float(pynvml.nvmlDeviceGetTotalEnergyConsumption(
            pynvml.nvmlDeviceGetHandleByIndex(i))) for i in range(pynvml.nvmlDeviceGetCount())}
    except Exception:
        pass
    text = subprocess.run(["nvidia-smi", "--query-gpu=index,total_energy_consumption",
                           "--format=csv,noheader"], capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        if "," in line:
            index, value = line.split(",", 1)
            parts = value.split()
            scale = {"J": 1e3, "kJ": 1e6}.get(parts[1] if len(parts) > 1 else "mJ", 1.0)
            try:
                out[index.strip()] = float(parts[0]) * scale
            except (ValueError, IndexError):  # "[N/A]"
                out[index.strip()] = float("nan")
    return out

if not fake:
    import torch
    torch.manual_seed(0)
    dev = "cuda"
    model = torch.nn.Sequential(torch.nn.Linear(4096, 8192), torch.nn.ReLU(),
                                torch.nn.Linear(8192, 8192), torch.nn.ReLU(),
                                torch.nn.Linear(8192, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(4096, 4096, device=dev)
    y = torch.randint(0, 10, (4096,), device=dev)
    torch.cuda.synchronize()
records = []
for e in range(epochs):
    # Each boundary falls in a short idle pause, so that the energy counter's
    # ~100 ms refresh costs little; the pause before epoch_end lies inside
    # both the tracker's and the driver's window.
    time.sleep(0.3)
    before = driver_mj()
    os.write(fd, b"epoch_start\n")
    t0 = time.monotonic(); steps = 0
    while time.monotonic() - t0 < epoch_s:
        if fake:
            time.sleep(0.1)
        else:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
            if steps % 20 == 0:
                torch.cuda.synchronize()
        steps += 1
    if not fake:
        torch.cuda.synchronize()
    time.sleep(0.3)
    os.write(fd, b"epoch_end\n")
    after = driver_mj()
    records.append({"epoch": e + 1, "steps": steps, "seconds": time.monotonic() - t0,
                    "driver_j": {k: (after[k] - before[k]) / 1000.0 for k in before}})
    print(f"train: epoch {e + 1}: {steps} steps", flush=True)
json.dump(records, open(out, "w"))
PY
  "$ct" --components gpu --epochs "$epochs" --log-dir "$work/logs_b" --json "$work/b.json" -- \
    python3 "$work/train.py" "$epochs" "$epoch_seconds" "$work/b_driver.json" "$fake"
  rc=$?
  [ $rc -eq 0 ] || echo "warning: carbontracker exited with $rc"
  python3 - "$work/b.json" "$work/b_driver.json" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
drv = json.load(open(sys.argv[2]))
print("The driver's window also holds the time nvidia-smi takes at both ends (idle GPU).")
print("| epoch | tracker duration s | tracker GPU J | driver delta J (all GPUs) | ratio |")
print("|---|---|---|---|---|")
for e in rec["epochs"]:
    i = e["index"]
    t = sum(d["energy_j"] for d in e["devices"] if d["component"] == "gpu")
    d = next((r for r in drv if r["epoch"] == i), None)
    dj = sum(d["driver_j"].values()) if d else float("nan")
    print(f"| {i}{' (partial)' if e['partial'] else ''} | {e['duration_s']:.2f} | {t:.1f} | {dj:.1f} | {t / dj if dj else float('nan'):.4f} |")
PY
else
  echo "skipped: PyTorch with CUDA is not available here"
fi

# ------------------------------------------------------ (d) Python package
say "(d) The Python package on the GPU: CarbonTracker in a PyTorch loop, the Lightning callback"
if [ "$fake" != 1 ] && python3 -c 'import carbontracker.tracker, torch; assert torch.cuda.is_available()' 2>/dev/null; then
  python3 - "$work" "$epochs" "$epoch_seconds" <<'PY'
# (d1) the library's API around a PyTorch loop, each epoch's energy next to
# the driver's counter read at the same boundaries; (d2) Lightning's
# callback (carbontracker.integrations.lightning) on the GPU, with the
# figures it logged.
import os, sys, time
import torch
from carbontracker.tracker import CarbonTracker
work, epochs, epoch_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
import carbontracker
print("carbontracker package:", os.path.dirname(carbontracker.__file__))

def driver_j():
    try:
        import pynvml
        pynvml.nvmlInit()
        return sum(pynvml.nvmlDeviceGetTotalEnergyConsumption(pynvml.nvmlDeviceGetHandleByIndex(i))
                   for i in range(pynvml.nvmlDeviceGetCount())) / 1000.0
    except Exception:
        return float("nan")

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4096, 8192), torch.nn.ReLU(), torch.nn.Linear(8192, 10)).cuda()
opt = torch.optim.SGD(model.parameters(), lr=1e-3)
x = torch.randn(4096, 4096, device="cuda"); y = torch.randint(0, 10, (4096,), device="cuda")
tracker = CarbonTracker(epochs=epochs, components="gpu", log_dir=os.path.join(work, "logs_d"), verbose=1)
drv = []
for e in range(epochs):
    before = driver_j()
    tracker.epoch_start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < epoch_s:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    torch.cuda.synchronize()
    tracker.epoch_end()
    drv.append(driver_j() - before)
tracker.stop()
res = tracker.results
print("| epoch | tracker GPU J | driver delta J | ratio |")
print("|---|---|---|---|")
for e, d in zip(res["epochs"], drv):
    t = sum(dev["energy_j"] for dev in e["devices"] if dev["component"] == "gpu")
    print(f"| {e['index']} | {t:.1f} | {d:.1f} | {t / d if d else float('nan'):.4f} |")
for key in ("actual", "prediction"):
    if res.get(key):
        print(key, {k: v for k, v in res[key].items() if k != "uncertainty"})
        if res[key].get("uncertainty"):
            print(key, "uncertainty", res[key]["uncertainty"])

try:
    import lightning.pytorch as L
except ImportError:
    try:
        import pytorch_lightning as L
    except ImportError:
        L = None
if L is None:
    print("(d2) skipped: no Lightning here")
    sys.exit(0)
from carbontracker.integrations.lightning import CarbonTrackerCallback

class Capture(L.loggers.logger.Logger):
    def __init__(self):
        super().__init__(); self.rows = []
    @property
    def name(self): return "capture"
    @property
    def version(self): return 0
    def log_hyperparams(self, *a, **k): pass
    def log_metrics(self, metrics, step=None): self.rows.append(dict(metrics))

class Net(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 10))
    def training_step(self, batch, _):
        xb, yb = batch
        return torch.nn.functional.cross_entropy(self.net(xb), yb)
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=1e-3)

data = torch.utils.data.TensorDataset(torch.randn(32768, 1024), torch.randint(0, 10, (32768,)))
loader = torch.utils.data.DataLoader(data, batch_size=256)
log = Capture()
trainer = L.Trainer(max_epochs=epochs, accelerator="gpu", devices=1, logger=log,
                    callbacks=[CarbonTrackerCallback(components="gpu", log_dir=os.path.join(work, "logs_d2"))],
                    enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False)
trainer.fit(Net(), loader)
for row in log.rows:
    row = {k: v for k, v in row.items() if k.startswith("carbontracker/") or k == "epoch"}
    if row:
        print("(d2) logged:", row)
PY
else
  echo "skipped: the carbontracker Python package, PyTorch or CUDA is not available here"
fi

# ------------------------------------------------------------ (c) read cost
say "(c) Cost of one read through the real driver"
bench=$(dirname "$ct")/gpu_bench
[ -x "$bench" ] || bench=$(dirname "$ct")/bench/gpu_bench
if [ -x "$bench" ]; then
  "$bench" --benchmark_filter='BM_NvmlReadReal|BM_ProcessTree' --benchmark_min_time="${GPU_CHECK_BENCH_MIN_TIME:-0.5}" 2>&1 |
    grep -v '^\*\*\*WARNING'
else
  echo "skipped: no gpu_bench beside $ct"
fi
echo
echo "work files: $work"
