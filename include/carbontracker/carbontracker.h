/* The C interface of carbontracker (libcarbontracker.so): the tracker, the
 * log parser, reports and the command line, for C, Fortran (ISO_C_BINDING),
 * Python (ctypes) and any language with a C foreign-function interface.
 * doc/c-api.md describes every function; in short:
 *
 *   ct_tracker *t;
 *   if (ct_tracker_create("{\"epochs\": 3}", NULL, NULL, &t) != CT_OK) {
 *     fprintf(stderr, "%s\n", ct_last_error_message());
 *     return 1;
 *   }
 *   for (int e = 0; e < 3; ++e) {
 *     ct_tracker_epoch_start(t);
 *     train_one_epoch();
 *     ct_tracker_epoch_end(t);
 *   }
 *   ct_tracker_stop(t);
 *   ct_tracker_free(t);
 *
 * Conventions:
 *  - Every function returns a status (CT_OK or a CT_ERROR_* code), except
 *    ct_version, ct_last_error_code, ct_last_error_message, ct_free and
 *    ct_tracker_free. After a failure, ct_last_error_message() gives the
 *    reason, for the calling thread.
 *  - Strings passed in are UTF-8 (paths: the bytes the file system uses),
 *    owned by the caller and only read during the call.
 *  - Strings handed out through a `char **` are NUL-terminated, allocated by
 *    the library and owned by the caller, who releases them with ct_free().
 *    Text going out never fails on invalid UTF-8: bad bytes become U+FFFD.
 *  - JSON going out is RFC 8259 JSON, except that a number that is not
 *    finite is written NaN, Infinity or -Infinity (as Python's json does).
 *  - No C++ exception, type or allocator crosses this interface.
 */
#ifndef CARBONTRACKER_CARBONTRACKER_H
#define CARBONTRACKER_CARBONTRACKER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. 1..6 mirror carbontracker::ErrorCode (carbontracker/error.h). */
enum ct_status {
  CT_OK = 0,
  CT_ERROR_INVALID_ARGUMENT = 1, /* bad options or arguments, NULL where a value is needed */
  CT_ERROR_COMPONENT = 2,        /* a requested component has no usable device */
  CT_ERROR_IO = 3,               /* a log, JSON or report file could not be read or written */
  CT_ERROR_USER_QUIT = 4,        /* stop_and_confirm was answered "n" */
  CT_ERROR_INPUT = 5,            /* stop_and_confirm could not read an answer */
  CT_ERROR_INTERNAL = 6,         /* anything else that went wrong inside */
  CT_ERROR_CALLBACK_ABORTED = 7, /* the confirm callback returned CT_CONFIRM_ABORT */
  CT_ERROR_NO_MEMORY = 8,        /* an allocation failed */
  /* Not an error: a tracker created with "console": "buffer" holds console
   * text; take it with ct_tracker_take_output(). */
  CT_OUTPUT = 100
};

/* What a ct_confirm_fn returns. */
enum ct_confirm_status {
  CT_CONFIRM_ANSWER = 0,    /* `answer` holds the answer line */
  CT_CONFIRM_NO_ANSWER = 1, /* end of input: the tracker fails with CT_ERROR_INPUT */
  CT_CONFIRM_ABORT = 2 /* the caller's own failure: the call returns CT_ERROR_CALLBACK_ABORTED */
};

/* A tracker: created by ct_tracker_create, released by ct_tracker_free. */
typedef struct ct_tracker ct_tracker;

/* Reads the answer to stop_and_confirm's "Continue training (y/n)?" into
 * `answer` (`size` bytes, NUL-terminated, UTF-8; longer answers are cut).
 * Called on the thread that called ct_tracker_epoch_end. It may call
 * ct_tracker_take_output on its tracker, no other ct_tracker_* on it. */
typedef int (*ct_confirm_fn)(void* user, char* answer, size_t size);

/* The library version, e.g. "0.1.0" (static storage). */
const char* ct_version(void);

/* The status of the last call on this thread that returns a status, and
 * its message ("" after a success). The message stays valid until the next
 * such call on this thread. */
int ct_last_error_code(void);
const char* ct_last_error_message(void);

/* Releases a string the library handed out. NULL is ignored. */
void ct_free(void* p);

/* Creates a tracker from its options, a JSON object (doc/c-api.md lists the
 * keys; "epochs" is required). Console text goes to the process's stdout, or
 * with "console": "buffer" is kept for ct_tracker_take_output. `confirm`
 * reads the stop_and_confirm answers (NULL: a line from stdin), with `user`
 * passed through. On success *tracker is the new tracker; on failure it is
 * NULL (and in "buffer" mode the text said before the failure goes to
 * stdout). Threads the tracker starts block asynchronous signals (SIGINT,
 * SIGTERM, ...), so that they reach the caller's threads. */
int ct_tracker_create(const char* options_json, ct_confirm_fn confirm, void* user,
                      ct_tracker** tracker);

/* Epoch boundaries. After `monitor_epochs` epochs the actual consumption is
 * reported and monitoring ends: the tracker's threads are joined and its
 * files closed. Once monitoring has ended they do nothing. */
int ct_tracker_epoch_start(ct_tracker* tracker);
int ct_tracker_epoch_end(ct_tracker* tracker);

/* Ends monitoring and reports what was measured (an epoch in progress
 * counts as partial). ct_tracker_close does the same and then releases the
 * tracker's threads and files even when stop failed. Both are safe to call
 * again. The result stays readable with ct_tracker_results. */
int ct_tracker_stop(ct_tracker* tracker);
int ct_tracker_close(ct_tracker* tracker);

/* Destroys the tracker (stopping it first when it still monitors). Console
 * text still held in "buffer" mode is dropped: ct_tracker_close and
 * ct_tracker_take_output first to keep it. NULL is ignored. */
void ct_tracker_free(ct_tracker* tracker);

/* API keys for live carbon-intensity sources, a JSON object
 * {"electricitymaps": "KEY"} (names are case-insensitive). */
int ct_tracker_set_api_keys(ct_tracker* tracker, const char* keys_json);

/* *monitoring = 1 until monitoring has ended, else 0. */
int ct_tracker_monitoring(ct_tracker* tracker, int* monitoring);

/* The run so far as JSON (doc/json-format.md; the command line's --json). */
int ct_tracker_results(ct_tracker* tracker, char** json);

/* "buffer" console: moves the console text kept so far into *text (*len
 * bytes, NUL-terminated; ct_free it), or sets *text = NULL and *len = 0 when
 * there is none. Text the tracker's own threads write is kept until then. */
int ct_tracker_take_output(ct_tracker* tracker, char** text, size_t* len);

/* The log parser. Each result is a JSON object {"value": ..., "warnings":
 * [...]}, the warnings naming the files that were skipped. log_dir, the file
 * names and NULL strings read as "" (std_log_file "" = the newest run). */
int ct_parse_logs(const char* log_dir, const char* std_log_file, const char* output_log_file,
                  char** json);
int ct_parse_all_logs(const char* log_dir, int recursive, char** json);
/* value: {"energy (kWh)", "co2eq (g)", "equivalents", "runs", "sentence",
 * "uncertainty" (the interval of the sums, doc/uncertainty.md; null when no
 * run has one), "runs_with_uncertainty", "uncertainty_sentence" (what
 * follows the sentence; "" without intervals)}. */
int ct_aggregate_consumption(const char* log_dir, int recursive, char** json);

/* One log's text (`len` bytes) in, its figures out as a JSON object (no
 * "value" wrapper): the standard log's components, epoch durations, early
 * stop, epoch lines, and the output log's actual and predicted blocks. */
int ct_read_std_log(const char* text, size_t len, char** json);
int ct_read_output_log(const char* text, size_t len, char** json);

/* One run from its files' texts: files_json = {"std"|"output"|"jsonl":
 * [path, text or null, problem]}; value is parse_all_logs' entry or null. */
int ct_read_run(const char* files_json, char** json);

/* "H:MM:SS" or "H:MM:SS.ss" in seconds: *valid = 1 and *seconds set, or
 * *valid = 0 when `text` is not a duration. */
int ct_parse_duration(const char* text, double* seconds, int* valid);

/* The sentence for a paper ("The training of models in this work is
 * estimated to use ..."); equivalents_json is [[unit, value], ...] or
 * {unit: value, ...} (NULL: none). */
int ct_aggregate_sentence(double energy_kwh, double co2eq_g, const char* equivalents_json,
                          char** sentence);

/* The interval of an aggregate whose runs the caller read itself:
 * aggregate_json = {"energy (kWh)": E, "co2eq (g)": G, "runs": N,
 * "uncertainties": [the "uncertainty" object of each counted block that has
 * one]}. *json = {"uncertainty": {...} or null, "runs_with_uncertainty",
 * "uncertainty_sentence", "note" (how many runs have none; "" when all
 * have)} (no "value" wrapper). Same-key terms add linearly across runs. */
int ct_aggregate_uncertainty(const char* aggregate_json, char** json);

/* Writes the report of a log file or directory to `output` (.pdf, .html,
 * .svg or .png); *warnings_json is the JSON array of skipped files (NULL
 * allowed: not wanted). */
int ct_generate_report(const char* path, const char* output, char** warnings_json);

/* Runs the carbontracker command line (argv[0] is the program name) in
 * this process, as the carbontracker executable would, and sets *status to
 * its exit status. Its signal handlers are put back before it returns. */
int ct_run_cli(int argc, const char* const* argv, int* status);

/* Threads the library started in this process and has not joined yet. */
int ct_running_library_threads(int* count);

#ifdef __cplusplus
}
#endif

#endif /* CARBONTRACKER_CARBONTRACKER_H */
