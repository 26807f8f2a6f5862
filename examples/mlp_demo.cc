// A small but real training program: a multilayer perceptron (2 hidden layers,
// ReLU, sigmoid output) trained by minibatch SGD on a generated two-spirals
// data set, tracked by carbontracker.
//
//   mlp_demo [--epochs N] [--samples N] [--hidden N] [--log_dir DIR]
//       embedded API: prediction after epoch 1, actual consumption at the end
//   mlp_demo --no-tracker [...]
//       plain training, for measuring the tracker's overhead
//   mlp_demo --markers [...]
//       no tracker inside; writes epoch_start/epoch_end to the file descriptor
//       in $CARBONTRACKER_EPOCH_FD, for `carbontracker --epochs N -- mlp_demo --markers`
#include <carbontracker/tracker.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Data {
  std::vector<float> x;  // n x kInputs
  std::vector<float> y;  // n
};

constexpr int kInputs = 16;

// Two interleaved spirals, lifted to kInputs features with fixed random projections.
Data make_spirals(int n, std::mt19937& rng) {
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> proj(kInputs * 2);
  for (float& p : proj) p = noise(rng) * 20.0f;
  Data d;
  d.x.resize(static_cast<size_t>(n) * kInputs);
  d.y.resize(n);
  for (int i = 0; i < n; ++i) {
    int label = i % 2;
    float t = 0.25f + 3.0f * u(rng);
    float angle = t * 3.14159265f + (label ? 3.14159265f : 0.0f);
    float a = t * std::cos(angle) / 3.0f + noise(rng), b = t * std::sin(angle) / 3.0f + noise(rng);
    for (int k = 0; k < kInputs; ++k) {
      float base = k < 2 ? (k == 0 ? a : b) : std::sin(proj[2 * k] * a + proj[2 * k + 1] * b);
      d.x[static_cast<size_t>(i) * kInputs + k] = base;
    }
    d.y[i] = static_cast<float>(label);
  }
  return d;
}

struct Layer {
  int in, out;
  std::vector<float> w, b, gw, gb;
  Layer(int in_, int out_, std::mt19937& rng)
      : in(in_), out(out_), w(in_ * out_), b(out_), gw(in_ * out_), gb(out_) {
    std::normal_distribution<float> init(0.0f, std::sqrt(2.0f / in_));
    for (float& v : w) v = init(rng);
  }
  void forward(const float* x, float* y) const {
    for (int o = 0; o < out; ++o) {
      float s = b[o];
      const float* row = &w[static_cast<size_t>(o) * in];
      for (int i = 0; i < in; ++i) s += row[i] * x[i];
      y[o] = s;
    }
  }
  // Accumulates gradients for dy and writes dx (if non-null).
  void backward(const float* x, const float* dy, float* dx) {
    if (dx) std::memset(dx, 0, sizeof(float) * in);
    for (int o = 0; o < out; ++o) {
      float g = dy[o];
      gb[o] += g;
      float* grow = &gw[static_cast<size_t>(o) * in];
      const float* row = &w[static_cast<size_t>(o) * in];
      for (int i = 0; i < in; ++i) grow[i] += g * x[i];
      if (dx)
        for (int i = 0; i < in; ++i) dx[i] += g * row[i];
    }
  }
  void step(float lr, int batch) {
    float scale = lr / batch;
    for (size_t i = 0; i < w.size(); ++i) w[i] -= scale * gw[i], gw[i] = 0;
    for (size_t i = 0; i < b.size(); ++i) b[i] -= scale * gb[i], gb[i] = 0;
  }
};

struct Mlp {
  Layer l1, l2, l3;
  Mlp(int hidden, std::mt19937& rng)
      : l1(kInputs, hidden, rng), l2(hidden, hidden, rng), l3(hidden, 1, rng) {}
};

// One epoch of minibatch SGD; returns the mean loss and accuracy.
std::pair<double, double> train_epoch(Mlp& m, const Data& d, int n, float lr, std::mt19937& rng) {
  const int batch = 32, h = m.l1.out;
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> z1(h), a1(h), z2(h), a2(h), d2(h), d1(h), da(h);
  double loss = 0;
  int correct = 0;
  for (int start = 0; start < n; start += batch) {
    int end = std::min(n, start + batch);
    for (int k = start; k < end; ++k) {
      const float* x = &d.x[static_cast<size_t>(order[k]) * kInputs];
      float y = d.y[order[k]];
      m.l1.forward(x, z1.data());
      for (int i = 0; i < h; ++i) a1[i] = std::max(0.0f, z1[i]);
      m.l2.forward(a1.data(), z2.data());
      for (int i = 0; i < h; ++i) a2[i] = std::max(0.0f, z2[i]);
      float z3;
      m.l3.forward(a2.data(), &z3);
      float p = 1.0f / (1.0f + std::exp(-z3));
      loss += -(y * std::log(p + 1e-7f) + (1 - y) * std::log(1 - p + 1e-7f));
      correct += (p > 0.5f) == (y > 0.5f);
      float dz3 = p - y;
      m.l3.backward(a2.data(), &dz3, da.data());
      for (int i = 0; i < h; ++i) d2[i] = z2[i] > 0 ? da[i] : 0;
      m.l2.backward(a1.data(), d2.data(), da.data());
      for (int i = 0; i < h; ++i) d1[i] = z1[i] > 0 ? da[i] : 0;
      m.l1.backward(x, d1.data(), nullptr);
    }
    int count = end - start;
    m.l1.step(lr, count);
    m.l2.step(lr, count);
    m.l3.step(lr, count);
  }
  return {loss / n, static_cast<double>(correct) / n};
}

void marker(int fd, const char* text) {
  if (fd < 0) return;
  std::string line = std::string(text) + "\n";
  if (write(fd, line.data(), line.size()) < 0) std::perror("epoch marker");
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3, samples = 12000, hidden = 192;
  bool markers = false, untracked = false;
  std::string log_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--epochs")
      epochs = std::atoi(next());
    else if (a == "--samples")
      samples = std::atoi(next());
    else if (a == "--hidden")
      hidden = std::atoi(next());
    else if (a == "--log_dir")
      log_dir = next();
    else if (a == "--markers")
      markers = true;
    else if (a == "--no-tracker")
      untracked = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--samples N] [--hidden N] [--log_dir DIR] [--markers | "
                   "--no-tracker]\n",
                   argv[0]);
      return 2;
    }
  }
  if (epochs <= 0 || samples <= 0 || hidden <= 0) {
    std::fprintf(stderr, "epochs, samples and hidden must be > 0\n");
    return 2;
  }
  std::mt19937 rng(42);
  Data data = make_spirals(samples, rng);
  Mlp model(hidden, rng);

  int fd = -1;
  std::unique_ptr<carbontracker::Tracker> tracker;
  if (markers) {
    const char* env = std::getenv("CARBONTRACKER_EPOCH_FD");
    if (!env) {
      std::fprintf(
          stderr,
          "--markers: CARBONTRACKER_EPOCH_FD is not set; run under carbontracker --epochs N\n");
      return 2;
    }
    fd = std::atoi(env);
  } else if (!untracked) {
    carbontracker::TrackerOptions opt;
    opt.epochs = epochs;
    opt.monitor_epochs = -1;  // report after the last epoch
    opt.update_interval = 1;
    opt.log_dir = log_dir;
    tracker = std::make_unique<carbontracker::Tracker>(opt);
  }

  for (int e = 1; e <= epochs; ++e) {
    if (tracker) tracker->epoch_start();
    marker(fd, "epoch_start");
    auto [loss, acc] = train_epoch(model, data, samples, 0.05f, rng);
    marker(fd, "epoch_end");
    std::printf("epoch %d/%d: loss %.4f, accuracy %.1f %%\n", e, epochs, loss, acc * 100);
    std::fflush(stdout);
    if (tracker) tracker->epoch_end();
  }
  if (tracker) tracker->stop();
  return 0;
}
