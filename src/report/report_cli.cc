#include "report/report_cli.h"

#include <ostream>

#include "carbontracker/error.h"
#include "report/render.h"
#include "report/report_model.h"

namespace carbontracker {

int run_report_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string path, output = "carbon_report.pdf";
  bool have_path = false;
  auto usage = [&](const std::string& what) {
    err << "carbontracker: error: " << what
        << " (usage: carbontracker --report PATH [--output FILE.pdf|.html|.svg|.png])\n";
    return 2;
  };
  size_t i = 0;
  if (!args.empty() && args[0] == "--report") i = 1;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--report=", 0) == 0 && !have_path) {
      path = a.substr(9);
      have_path = true;
    } else if (a == "--output" || a == "-o") {
      if (i + 1 >= args.size()) return usage("argument --output: expected one argument");
      output = args[++i];
    } else if (a.rfind("--output=", 0) == 0) {
      output = a.substr(9);
    } else if (!have_path && (a.empty() || a[0] != '-')) {
      path = a;
      have_path = true;
    } else {
      return usage("unrecognized argument for --report: " + a);
    }
  }
  if (!have_path || path.empty())
    return usage("argument --report: expected a log directory or log file");
  if (output.empty()) return usage("argument --output: expected a file name");
  if (!report::format_for(output))
    return usage("cannot tell the report format from '" + output +
                 "': give a file name ending in .pdf, .html, .svg or .png");
  try {
    report::Report r = report::build_report(path);
    for (const std::string& w : r.warnings) err << "carbontracker: warning: " << w << "\n";
    report::write_report(r, output);
  } catch (const Error& e) {
    err << "carbontracker: error: " << e.what() << "\n";
    return e.code() == ErrorCode::kInvalidArgument ? 2 : 1;
  } catch (const std::exception& e) {
    err << "carbontracker: error: cannot make the report: " << e.what() << "\n";
    return 1;
  }
  out << "Report generated: " << output << "\n";  // the original's line
  return 0;
}

}  // namespace carbontracker
