/* A C program tracked by carbontracker through its C interface
 * (include/carbontracker/carbontracker.h, doc/c-api.md): three "epochs" of
 * a small computation, measured on a simulated 40 W CPU (so that it runs on
 * any machine), with the consumption printed and logged, and the run's JSON
 * record read back at the end.
 *
 *   cc track.c -o track -lcarbontracker    (or CMake: target ct_example_c)
 *   ./track LOG_DIR
 */
#include <carbontracker/carbontracker.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the reason of the last failure and ends the program. */
static void check(int status, const char* what) {
  if (status == CT_OK) return;
  fprintf(stderr, "track: %s failed (status %d): %s\n", what, status, ct_last_error_message());
  exit(1);
}

/* The "training": a sum that takes a moment. */
static double work(int epoch) {
  double x = 0;
  for (int i = 1; i <= 3000000; ++i) x += sqrt((double)i) / (epoch + 1);
  return x;
}

int main(int argc, char** argv) {
  const char* log_dir = argc > 1 ? argv[1] : "./logs";
  char options[1024];
  /* log_dir goes into JSON: this example expects no quote or backslash in it. */
  snprintf(options, sizeof options,
           "{\"epochs\": 3, \"monitor_epochs\": 3, \"components\": \"cpu\","
           " \"sim_cpu\": \"Example CPU\", \"sim_cpu_tdp\": 40, \"sim_cpu_util\": 0.5,"
           " \"offline\": true, \"update_interval\": 0.05, \"decimal_precision\": 12,"
           " \"log_dir\": \"%s\"}",
           log_dir);

  ct_tracker* tracker = NULL;
  printf("carbontracker %s\n", ct_version());
  fflush(stdout);
  check(ct_tracker_create(options, NULL, NULL, &tracker), "ct_tracker_create");
  for (int epoch = 0; epoch < 3; ++epoch) {
    check(ct_tracker_epoch_start(tracker), "ct_tracker_epoch_start");
    double x = work(epoch);
    check(ct_tracker_epoch_end(tracker), "ct_tracker_epoch_end");
    printf("epoch %d: %.3f\n", epoch + 1, x);
    fflush(stdout);
  }
  check(ct_tracker_stop(tracker), "ct_tracker_stop");

  char* json = NULL;
  check(ct_tracker_results(tracker, &json), "ct_tracker_results");
  printf("result: %s\n", json);
  ct_free(json);
  ct_tracker_free(tracker);

  /* A failure, as the library reports it. */
  int status = ct_tracker_create("{\"epochs\": 0}", NULL, NULL, &tracker);
  printf("invalid options: status %d: %s\n", status, ct_last_error_message());
  return 0;
}
