// `carbontracker --report PATH [--output FILE]`
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace carbontracker {

// Runs the report command. `args` are the tokens from `--report` on (a
// leading "--report" is optional; "--report=PATH" and "--output=FILE" work):
//   PATH           a log directory or one log file (required)
//   --output FILE  the report (default carbon_report.pdf); its extension
//                  chooses the format: .pdf, .html, .svg or .png
// Warnings about skipped files go to `err` as "carbontracker: warning: "
// lines, and "Report generated: FILE" (the original's line) to `out`. Returns 0 on success, 1 when
// PATH holds no readable run or FILE cannot be written (or cairo is missing),
// 2 on a usage error (a missing PATH, an unknown argument, an extension that
// names no format); each failure is one line on `err` naming the fix.
int run_report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace carbontracker
