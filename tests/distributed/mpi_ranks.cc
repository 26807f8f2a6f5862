// One rank of a small MPI program using the embedded C++ API, for
// mpi_test.py (run under `mpirun -n 2`).
//
//   mpi_ranks SYNC_DIR LOG_DIR EPOCHS [--no-local-rank]
//
// Every rank builds a tracker (components cpu, PUE 1) and runs EPOCHS epochs
// of the ready_N/done_N handshake of world.py: epoch_start, barrier, rank 0
// creates SYNC_DIR/ready_N, then all ranks exchange a flag until
// SYNC_DIR/done_N exists, barrier, epoch_end. Each rank's stdout/stderr go to
// SYNC_DIR/stdout_R.txt and stderr_R.txt, its result (the --json record) to
// SYNC_DIR/result_R.json with its pid. --no-local-rank removes
// OMPI_COMM_WORLD_LOCAL_RANK before the tracker is built, as a launcher that
// does not say the local rank: the node lock elects the measuring rank.
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "carbontracker/tracker.h"
#include "output/json.h"

namespace ct = carbontracker;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: mpi_ranks SYNC_DIR LOG_DIR EPOCHS [--no-local-rank]\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  std::string sync = argv[1], log_dir = argv[2];
  int epochs = std::atoi(argv[3]);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (auto [fd, name] : {std::pair{1, "stdout"}, std::pair{2, "stderr"}}) {
    std::string path = sync + "/" + name + "_" + std::to_string(rank) + ".txt";
    int f = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(f, fd);
    close(f);
  }
  if (argc > 4 && std::string(argv[4]) == "--no-local-rank") unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");

  ct::TrackerOptions o;
  o.epochs = epochs;
  o.monitor_epochs = epochs;
  o.components = "cpu";
  o.pue = 1.0;
  o.offline = true;
  o.update_interval = 0.2;
  o.log_dir = log_dir;
  ct::Tracker tracker(o);
  for (int n = 1; n <= epochs; ++n) {
    tracker.epoch_start();
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) std::ofstream(sync + "/ready_" + std::to_string(n));
    std::string done = sync + "/done_" + std::to_string(n);
    double sum = 0;
    for (;;) {
      // A token of work per step, then the ranks agree whether to stop.
      for (int i = 0; i < 100000; ++i) sum += i * 1e-9;
      int mine = std::filesystem::exists(done) ? 1 : 0, any = 0;
      MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
      if (any) break;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    tracker.epoch_end();
  }
  tracker.stop();
  nlohmann::json j = {{"pid", static_cast<long>(getpid())},
                      {"results", ct::run_to_json(tracker.result())}};
  std::ofstream(sync + "/result_" + std::to_string(rank) + ".json") << j.dump();
  std::fflush(stdout);
  MPI_Finalize();
  return 0;
}
