// The report laid out as a list of blocks (headings, paragraphs, tables,
// charts), from which render.cc writes HTML and draws PDF pages, so that
// both hold the same text and figures.
#pragma once

#include <string>
#include <vector>

#include "report/charts.h"
#include "report/report_model.h"

namespace carbontracker::report {

struct Block {
  enum class Kind { kTitle, kHeading, kParagraph, kTable, kChart } kind;
  std::string text;                            // title, heading, paragraph
  std::vector<std::vector<std::string>> rows;  // table: first row is the header
  const Chart* chart = nullptr;
};

// `s` with every byte that is not part of valid UTF-8 replaced by '?':
// cairo refuses to draw invalid UTF-8, and logs may hold any bytes.
std::string valid_utf8(const std::string& s);

struct Doc {
  std::vector<Block> blocks;
  std::vector<std::vector<Chart>> charts;  // per run; blocks point into these

  void title(const std::string& t) {
    blocks.push_back({Block::Kind::kTitle, valid_utf8(t), {}, nullptr});
  }
  void heading(const std::string& t) {
    blocks.push_back({Block::Kind::kHeading, valid_utf8(t), {}, nullptr});
  }
  void para(const std::string& t) {
    blocks.push_back({Block::Kind::kParagraph, valid_utf8(t), {}, nullptr});
  }
  void table(std::vector<std::vector<std::string>> rows) {
    for (auto& row : rows)
      for (std::string& cell : row) cell = valid_utf8(cell);
    blocks.push_back({Block::Kind::kTable, "", std::move(rows), nullptr});
  }
  void chart(const Chart* c) { blocks.push_back({Block::Kind::kChart, "", {}, c}); }
};

// The report's blocks: the summary (totals, their intervals, the sentence
// for papers), then one section per run with its tables and charts.
Doc document(const Report& report);

}  // namespace carbontracker::report
