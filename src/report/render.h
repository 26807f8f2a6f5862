// Writing a report (report_model.h) to a file. The output's extension
// chooses the format:
//   .pdf   the whole report, A4 pages (cairo's PDF surface)
//   .html  the whole report in one self-contained file: inline CSS and SVG
//          charts, no script, nothing fetched
//   .svg   the charts alone (cairo's SVG surface)
//   .png   the charts alone (cairo's image surface, 2x scale)
// PDF and HTML are made from one list of blocks (headings, paragraphs,
// tables, charts), so they hold the same text and figures.
#pragma once

#include <optional>
#include <string>

#include "report/report_model.h"

namespace carbontracker::report {

enum class Format { kPdf, kHtml, kSvg, kPng };

// The format of `output` by its extension (case-insensitive); nullopt when
// the extension is none of .pdf, .html (.htm), .svg, .png.
std::optional<Format> format_for(const std::string& output);

// The HTML document (also what write_report writes for .html).
std::string report_html(const Report& report);

// Writes `report` to `output` in the format its extension names. Throws
// Error(kInvalidArgument) for an unknown extension, Error(kIo) when the file
// cannot be written, cairo is missing, or (.svg/.png) there is no chart to
// draw; the messages name the fix.
void write_report(const Report& report, const std::string& output);

// build_report(path) then write_report(..., output).
void generate_report(const std::string& path, const std::string& output);

}  // namespace carbontracker::report
