// Implementation details: the report is first laid out as a list of blocks
// (document.h), then written as HTML (report_html) or drawn on PDF pages
// (write_pdf). Charts are drawn by charts.cc on whichever cairo surface the
// format needs; in HTML each chart is an inline SVG whose ids get a
// per-chart prefix, since cairo names its glyphs alike in every SVG.
#include "report/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>

#include "carbontracker/error.h"
#include "common/format.h"
#include "common/number.h"
#include "common/text.h"
#include "report/cairo_api.h"
#include "report/charts.h"
#include "report/document.h"

namespace carbontracker::report {
namespace {

// ---- cairo helpers ----

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo().cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo().cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

void check(const CairoApi& c, cairo_status_t status, const std::string& output) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw Error(ErrorCode::kIo, "cannot write the report " + output + ": " +
                                    c.cairo_status_to_string(status) +
                                    " (check that the directory exists and is writable)");
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

constexpr double kChartW = 720, kChartH = 270;

// One chart as an SVG document in a string.
std::string chart_svg(const Chart& chart) {
  const CairoApi& c = cairo();
  std::string svg;
  {
    Surface s(c.cairo_svg_surface_create_for_stream(append_to_string, &svg, kChartW, kChartH));
    Context cr(c.cairo_create(s.get()));
    c.cairo_set_source_rgb(cr.get(), 1, 1, 1);
    c.cairo_paint(cr.get());
    draw_chart(c, cr.get(), chart, 0, 0, kChartW, kChartH);
    c.cairo_surface_finish(s.get());
    check(c, c.cairo_surface_status(s.get()), "(SVG chart)");
  }
  return svg;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// ---- PDF layout ----

constexpr double kPageW = 595.28, kPageH = 841.89, kMargin = 48;

class PdfWriter {
 public:
  PdfWriter(const CairoApi& c, cairo_t* cr) : c_(c), cr_(cr) {}

  void title(const std::string& t) {
    font(18, true);
    room(30);
    line_at(t, kMargin, y_ + 18);
    y_ += 30;
  }
  void heading(const std::string& t) {
    font(13, true);
    room(40);
    y_ += 6;
    line_at(t, kMargin, y_ + 13);
    y_ += 22;
  }
  void paragraph(const std::string& t) {
    font(9.5, false);
    for (const std::string& l : wrap(t, kPageW - 2 * kMargin)) {
      room(13);
      line_at(l, kMargin, y_ + 10);
      y_ += 13;
    }
    y_ += 4;
  }
  void table(const std::vector<std::vector<std::string>>& rows) {
    if (rows.empty()) return;
    font(8.5, false);
    size_t cols = 0;
    for (auto& r : rows) cols = std::max(cols, r.size());
    const double width = kPageW - 2 * kMargin, pad = 4;
    bool header = rows[0].size() > 1 &&
                  !std::all_of(rows[0].begin(), rows[0].end(), [](auto& s) { return s.empty(); });
    std::vector<double> natural(cols, 0);
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      font(8.5, ri == 0 && header);
      for (size_t i = 0; i < rows[ri].size(); ++i)
        natural[i] = std::max(natural[i], text_w(rows[ri][i]) + 2 * pad + 1);
    }
    double sum = 0;
    for (double w : natural) sum += w;
    std::vector<double> widths = natural;
    if (sum > width) {
      // Narrow columns keep their width; the wide ones share what is left.
      double fair = width / cols, fixed = 0, flexible = 0;
      for (double w : natural) (w <= fair ? fixed : flexible) += w;
      for (double& w : widths)
        if (w > fair) w = (width - fixed) * w / flexible;
    }
    for (size_t ri = header ? 0 : 1; ri < rows.size(); ++ri) {
      const auto& r = rows[ri];
      font(8.5, ri == 0 && header);
      std::vector<std::vector<std::string>> cells;
      size_t lines = 1;
      for (size_t i = 0; i < cols; ++i) {
        cells.push_back(wrap(i < r.size() ? r[i] : "", widths[i] - 2 * pad));
        lines = std::max(lines, cells.back().size());
      }
      double h = 11.5 * static_cast<double>(lines) + 3;
      room(h);
      double x = kMargin;
      for (size_t i = 0; i < cols; ++i) {
        for (size_t l = 0; l < cells[i].size(); ++l)
          line_at(cells[i][l], x + pad, y_ + 10 + 11.5 * static_cast<double>(l));
        x += widths[i];
      }
      c_.cairo_set_source_rgb(cr_, 0.5, 0.5, 0.5);
      c_.cairo_set_line_width(cr_, ri == 0 && header ? 0.8 : 0.3);
      c_.cairo_move_to(cr_, kMargin, y_ + h);
      c_.cairo_line_to(cr_, x, y_ + h);
      c_.cairo_stroke(cr_);
      c_.cairo_set_source_rgb(cr_, 0, 0, 0);
      y_ += h;
    }
    y_ += 8;
  }
  void chart(const Chart& ch) {
    const double w = kPageW - 2 * kMargin, h = w * kChartH / kChartW;
    room(h + 8);
    draw_chart(c_, cr_, ch, kMargin, y_, w, h);
    y_ += h + 8;
  }

 private:
  void font(double size, bool bold) {
    c_.cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                              bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    c_.cairo_set_font_size(cr_, size);
  }
  double text_w(const std::string& s) {
    cairo_text_extents_t e;
    c_.cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }
  void line_at(const std::string& s, double x, double y) {
    c_.cairo_set_source_rgb(cr_, 0, 0, 0);
    c_.cairo_move_to(cr_, x, y);
    c_.cairo_show_text(cr_, s.c_str());
  }
  // Starts a new page unless `h` more points fit on this one.
  void room(double h) {
    if (y_ + h <= kPageH - kMargin) return;
    c_.cairo_show_page(cr_);
    y_ = kMargin;
  }
  // Words that fit `width`; a word wider than that is cut (paths).
  std::vector<std::string> wrap(const std::string& text, double width) {
    std::vector<std::string> lines;
    std::string line;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      std::string word = text.substr(pos, end - pos);
      pos = end + 1;
      std::string candidate = line.empty() ? word : line + " " + word;
      if (text_w(candidate) <= width || line.empty()) {
        line = candidate;
      } else {
        lines.push_back(line);
        line = word;
      }
      while (text_w(line) > width && line.size() > 1) {
        size_t cut = line.size() - 1;
        while (cut > 1 && text_w(line.substr(0, cut)) > width) --cut;
        lines.push_back(line.substr(0, cut));
        line = line.substr(cut);
      }
    }
    if (!line.empty() || lines.empty()) lines.push_back(line);
    return lines;
  }

  const CairoApi& c_;
  cairo_t* cr_;
  double y_ = kMargin;
};

void write_pdf(const Doc& doc, const std::string& output) {
  const CairoApi& c = cairo();
  Surface s(c.cairo_pdf_surface_create(output.c_str(), kPageW, kPageH));
  check(c, c.cairo_surface_status(s.get()), output);
  Context cr(c.cairo_create(s.get()));
  PdfWriter pdf(c, cr.get());
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kTitle:
        pdf.title(b.text);
        break;
      case Block::Kind::kHeading:
        pdf.heading(b.text);
        break;
      case Block::Kind::kParagraph:
        pdf.paragraph(b.text);
        break;
      case Block::Kind::kTable:
        pdf.table(b.rows);
        break;
      case Block::Kind::kChart:
        pdf.chart(*b.chart);
        break;
    }
  }
  c.cairo_show_page(cr.get());
  check(c, c.cairo_status(cr.get()), output);
  c.cairo_surface_finish(s.get());
  check(c, c.cairo_surface_status(s.get()), output);
}

// The charts alone, stacked, on an SVG or PNG surface.
void write_charts(const Doc& doc, Format format, const std::string& output) {
  std::vector<const Chart*> charts;
  for (const Block& b : doc.blocks)
    if (b.kind == Block::Kind::kChart) charts.push_back(b.chart);
  if (charts.empty())
    throw Error(ErrorCode::kIo, "cannot write the report " + output +
                                    ": the logs hold no epochs nor samples, so there is no chart "
                                    "to draw (write a .pdf or .html report for the figures)");
  const CairoApi& c = cairo();
  const double h = kChartH * static_cast<double>(charts.size());
  const double scale = format == Format::kPng ? 2 : 1;
  Surface s(format == Format::kSvg ? c.cairo_svg_surface_create(output.c_str(), kChartW, h)
                                   : c.cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                                  static_cast<int>(kChartW * scale),
                                                                  static_cast<int>(h * scale)));
  check(c, c.cairo_surface_status(s.get()), output);
  Context cr(c.cairo_create(s.get()));
  c.cairo_set_source_rgb(cr.get(), 1, 1, 1);
  c.cairo_paint(cr.get());
  c.cairo_scale(cr.get(), scale, scale);
  for (size_t i = 0; i < charts.size(); ++i)
    draw_chart(c, cr.get(), *charts[i], 0, kChartH * static_cast<double>(i), kChartW, kChartH);
  check(c, c.cairo_status(cr.get()), output);
  if (format == Format::kPng) {
    check(c, c.cairo_surface_write_to_png(s.get(), output.c_str()), output);
  } else {
    c.cairo_surface_finish(s.get());
    check(c, c.cairo_surface_status(s.get()), output);
  }
}

constexpr const char* kCss =
    R"(body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;margin:.4em 0 1em 0;font-size:.9em}
th,td{border-bottom:1px solid #bbb;padding:.2em .6em;text-align:left;vertical-align:top}
th{border-bottom:2px solid #555}td.n{text-align:right;font-variant-numeric:tabular-nums}
p{margin:.4em 0}figure{margin:1em 0}svg{max-width:100%;height:auto}
@media print{h2{page-break-before:auto}figure{page-break-inside:avoid}})";

// Figures (right-aligned in HTML tables): digits and . - + : % and spaces.
bool numeric(const std::string& s) {
  bool digit = false;
  for (char ch : s) {
    if (std::isdigit(static_cast<unsigned char>(ch)))
      digit = true;
    else if (!std::strchr(".-+:% ", ch))
      return false;
  }
  return digit;
}

}  // namespace

std::optional<Format> format_for(const std::string& output) {
  size_t dot = output.find_last_of('.');
  size_t slash = output.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return std::nullopt;
  std::string ext = lower(std::string_view(output).substr(dot + 1));
  if (ext == "pdf") return Format::kPdf;
  if (ext == "html" || ext == "htm") return Format::kHtml;
  if (ext == "svg") return Format::kSvg;
  if (ext == "png") return Format::kPng;
  return std::nullopt;
}

std::string report_html(const Report& report) {
  Doc doc = document(report);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Carbon footprint report</title>\n<style>\n";
  h += kCss;
  h += "\n</style>\n</head>\n<body>\n";
  int chart_no = 0;
  for (const Block& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kTitle:
        h += "<h1>" + html_escape(b.text) + "</h1>\n";
        break;
      case Block::Kind::kHeading:
        h += "<h2>" + html_escape(b.text) + "</h2>\n";
        break;
      case Block::Kind::kParagraph:
        h += "<p>" + html_escape(b.text) + "</p>\n";
        break;
      case Block::Kind::kTable: {
        h += "<table>\n";
        bool header =
            !std::all_of(b.rows[0].begin(), b.rows[0].end(), [](auto& s) { return s.empty(); });
        for (size_t ri = header ? 0 : 1; ri < b.rows.size(); ++ri) {
          h += "<tr>";
          for (const std::string& cell : b.rows[ri]) {
            if (ri == 0)
              h += "<th>" + html_escape(cell) + "</th>";
            else
              h += std::string(numeric(cell) ? "<td class=\"n\">" : "<td>") + html_escape(cell) +
                   "</td>";
          }
          h += "</tr>\n";
        }
        h += "</table>\n";
        break;
      }
      case Block::Kind::kChart: {
        std::string svg = chart_svg(*b.chart);
        if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);
        std::string prefix = fmt::format("c{}-", ++chart_no);
        replace_all(svg, "id=\"", "id=\"" + prefix);
        replace_all(svg, "href=\"#", "href=\"#" + prefix);
        replace_all(svg, "url(#", "url(#" + prefix);
        h += "<figure role=\"img\" aria-label=\"" + html_escape(b.chart->title) + "\">\n" + svg +
             "</figure>\n";
        break;
      }
    }
  }
  h += "</body>\n</html>\n";
  return h;
}

void write_report(const Report& report, const std::string& output) {
  std::optional<Format> format = format_for(output);
  if (!format)
    throw Error(ErrorCode::kInvalidArgument,
                "cannot tell the report format from " + output +
                    ": give a file name ending in .pdf, .html, .svg or .png");
  if (*format == Format::kHtml) {
    std::string html = report_html(report);
    std::ofstream f(output, std::ios::binary | std::ios::trunc);
    f << html;
    f.close();
    if (!f)
      throw Error(ErrorCode::kIo, "cannot write the report " + output +
                                      " (check that the directory exists and is writable)");
    return;
  }
  Doc doc = document(report);
  if (*format == Format::kPdf)
    write_pdf(doc, output);
  else
    write_charts(doc, *format, output);
}

void generate_report(const std::string& path, const std::string& output) {
  if (!format_for(output))
    throw Error(ErrorCode::kInvalidArgument,
                "cannot tell the report format from " + output +
                    ": give a file name ending in .pdf, .html, .svg or .png");
  write_report(build_report(path), output);
}

}  // namespace carbontracker::report
