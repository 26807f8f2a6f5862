// Number and time formatting that matches the original's Python output
// byte for byte (behaviour document §1.8 and §6.5).
#pragma once

#include <string>

namespace carbontracker {

// printf-style fixed point, "{x:.Nf}".
std::string format_fixed(double x, int digits);

// Python's str(float): the shortest text that reads back as x, e.g. "300.0",
// "23.061097500000002", "1e-05", "inf", "nan".
std::string python_float_repr(double x);

// "H:MM:SS" (seconds rounded half to even, like Python's round) or, with
// milliseconds, "H:MM:SS.ss". Negative input gets a leading '-'.
std::string format_duration(double seconds, bool with_centiseconds = false);

// "YYYY-MM-DD HH:MM:SS" in local time, as the original's log lines.
std::string format_log_time(double unix_s);
// "YYYY-MM-DD HH:MM:SS,mmm" in local time (the original's err-file format).
std::string format_log_time_ms(double unix_s);
// "YYYY-MM-DDTHHMMSSZ" in UTC (log file names).
std::string format_file_stamp_utc(double unix_s);
// RFC 3339 UTC with milliseconds, e.g. "2026-11-26T21:35:53.123Z" (JSON).
std::string format_iso_utc(double unix_s);

}  // namespace carbontracker
