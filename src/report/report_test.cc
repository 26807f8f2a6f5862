#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "carbontracker/error.h"
#include "common/format.h"
#include "logs/jsonl_writer.h"
#include "logs/logs_test_util.h"
#include "report/render.h"
#include "report/report_model.h"

// LeakSanitizer (the address build): fontconfig, which cairo loads to draw
// text, keeps caches it never frees. Used by this test binary only.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace carbontracker::report {
namespace {

namespace fs = std::filesystem;
using testing_logs::fixture_dir;
using testing_logs::read_text;
using testing_logs::ScratchDir;
using testing_logs::write_file;

constexpr double kStart = 1764193000.0;
constexpr const char* kStem = "7.8_2025-11-26T213553Z_carbontracker";

std::vector<DeviceInfo> devices() {
  return {{"NVIDIA A100-SXM4-40GB", ComponentKind::kGpu, Provenance::kSimulated, "simulated", ""},
          {"cpu:0", ComponentKind::kCpu, Provenance::kMeasured,
           "RAPL energy counter /sys/class/powercap/intel-rapl:0", ""},
          {"dram:0", ComponentKind::kCpu, Provenance::kEstimated, "estimated: 3 W per 8 GB", ""}};
}

// Three epochs of 20 s at 300 W GPU, 60 W CPU, 5 W DRAM, ticks every 10 s,
// intensity 200 g/kWh, then 400 g/kWh from the third epoch.
RunResult scripted_run() {
  RunResult r;
  r.devices = devices();
  r.pue = 1.5;
  r.planned_epochs = 4;
  for (int i = 0; i < 3; ++i) {
    EpochRecord e;
    e.index = i + 1;
    e.start_unix_s = kStart + 20.0 * i;
    e.duration_s = 20;
    e.energy_j = {6000, 1200, 100};
    double g = i < 2 ? 200 : 400;
    for (double j : e.energy_j) e.co2_g.push_back(j / 3.6e6 * g);
    e.missing = {false, false, false};
    r.epochs.push_back(e);
  }
  double kwh = r.energy_j(false) * r.pue / 3.6e6;
  r.prediction = Consumption{4, 80, 7300.0 * 4 * 1.5 / 3.6e6, 1.2, 200, "", std::nullopt};
  r.actual = Consumption{3, 60, kwh, r.co2_g(true), 266.0, "", std::nullopt};
  r.finished = true;
  return r;
}

void write_run(const std::string& path, const RunResult& r, bool with_totals = true,
               bool with_samples = true) {
  JsonlWriter w(path);
  RunMetadata meta;
  meta.version = "0.1.0";
  meta.hostname = "node01";
  meta.command = "python train.py";
  meta.options = {{"epochs", r.planned_epochs}};
  w.run_start(meta, r.devices, r.pue, kStart);
  w.intensity({200, kStart, "carbon-intensities.csv (2023)", "DK", false});
  for (size_t i = 0; i < r.epochs.size(); ++i) {
    if (i == 2) w.intensity({400, kStart + 40, "Electricity Maps (live)", "DK-DK2", false});
    if (with_samples) {
      for (int t = 1; t <= 2; ++t)
        w.sample(kStart + 20.0 * i + 10 * t, 10, {300, 60, 5}, i < 2 ? 200 : 400);
    }
    w.epoch(r.epochs[i], r.devices);
    if (i == 0) w.prediction(*r.prediction);
  }
  if (with_totals) w.totals(r, kStart + 60);
}

TEST(ReportModel, JsonlRunHasEveryFigure) {
  ScratchDir dir;
  RunResult run = scripted_run();
  std::string path = dir.file(std::string(kStem) + ".jsonl");
  write_run(path, run);
  for (const std::string& given : {dir.path(), path}) {
    Report rep = build_report(given);
    EXPECT_TRUE(rep.warnings.empty());
    ASSERT_EQ(rep.runs.size(), 1u);
    const RunReport& r = rep.runs[0];
    EXPECT_EQ(r.name, "7.8_2025-11-26T213553Z");
    EXPECT_EQ(r.format, "JSONL (schema 3)");
    EXPECT_EQ(r.status, "finished");
    EXPECT_EQ(r.hostname, "node01");
    ASSERT_TRUE(r.pue);
    EXPECT_EQ(*r.pue, run.pue);
    ASSERT_TRUE(r.actual);
    EXPECT_EQ(r.actual->energy_kwh, run.actual->energy_kwh);
    EXPECT_EQ(rep.aggregate.energy_kwh, run.actual->energy_kwh);
    EXPECT_EQ(rep.sentence, parser::aggregate_sentence(rep.aggregate));
    EXPECT_DOUBLE_EQ(*r.energy_j, run.energy_j(false));
    EXPECT_DOUBLE_EQ(*r.co2_g, run.co2_g(false));
    EXPECT_EQ(r.intensity_g_per_kwh, 266.0);
    EXPECT_EQ(r.intensity_source, "carbon-intensities.csv (2023), Electricity Maps (live)");
    EXPECT_EQ(r.intensity_location, "DK, DK-DK2");
    ASSERT_EQ(r.intensities.size(), 2u);
    EXPECT_EQ(r.intensities[1].t_s, 40);
    EXPECT_EQ(r.components, (std::vector<std::string>{"gpu", "cpu"}));
    EXPECT_DOUBLE_EQ(r.component_energy_j[0], run.component_energy_j(ComponentKind::kGpu));
    EXPECT_DOUBLE_EQ(r.component_energy_j[1], run.component_energy_j(ComponentKind::kCpu));
    ASSERT_EQ(r.devices.size(), 3u);
    EXPECT_EQ(r.devices[0].provenance, "simulated");
    EXPECT_EQ(r.devices[1].provenance, "measured");
    EXPECT_EQ(r.devices[2].provenance, "estimated");
    EXPECT_EQ(r.devices[1].source, devices()[1].source);
    EXPECT_EQ(*r.devices[2].energy_j, 300.0);
    ASSERT_EQ(r.epochs.size(), 3u);
    EXPECT_DOUBLE_EQ(*r.epochs[2].intensity_g_per_kwh, 400);
    EXPECT_DOUBLE_EQ(*r.epochs[0].co2_g, run.epochs[0].total_co2_g());
    ASSERT_TRUE(r.power);
    ASSERT_EQ(r.power->t_s.size(), 6u);
    EXPECT_EQ(r.power->t_s[5], 60);
    EXPECT_EQ(r.power->power_w[0][0], 300);
    EXPECT_EQ(r.power->power_w[1][0], 65);  // cpu:0 + dram:0
    EXPECT_TRUE(r.notes.empty());
  }
}

TEST(ReportModel, SchemaOneSaysPowerIsMissing) {
  ScratchDir dir;
  write_run(dir.file(std::string(kStem) + ".jsonl"), scripted_run(), true, false);
  Report rep = build_report(dir.path());
  ASSERT_EQ(rep.runs.size(), 1u);
  EXPECT_FALSE(rep.runs[0].power);
  ASSERT_EQ(rep.runs[0].notes.size(), 1u);
  EXPECT_NE(rep.runs[0].notes[0].find("power over time is not shown"), std::string::npos);
  std::string html = report_html(rep);
  EXPECT_NE(html.find("power over time is not shown"), std::string::npos);
  EXPECT_EQ(html.find("Power over time, per component"), std::string::npos);
}

TEST(ReportModel, KilledJsonlRunSumsItsEpochs) {
  ScratchDir dir;
  RunResult run = scripted_run();
  std::string path = dir.file(std::string(kStem) + ".jsonl");
  write_run(path, run, /*with_totals=*/false);
  std::string text = read_text(path);
  write_file(path, text.substr(0, text.size() - 15));  // kill -9 mid-line
  Report rep = build_report(dir.path());
  ASSERT_EQ(rep.runs.size(), 1u);
  const RunReport& r = rep.runs[0];
  EXPECT_NE(r.status.find("killed"), std::string::npos);
  ASSERT_EQ(r.epochs.size(), 2u);
  EXPECT_DOUBLE_EQ(*r.energy_j, 2 * run.epochs[0].total_energy_j());
  ASSERT_TRUE(r.actual);  // the parser's sum of the epochs
  EXPECT_DOUBLE_EQ(r.actual->energy_kwh, 2 * run.epochs[0].total_energy_j() * 1.5 / 3.6e6);
  EXPECT_FALSE(rep.warnings.empty());
}

TEST(ReportModel, OriginalCpuOnlyLogs) {
  // The original crashes on these (ZeroDivisionError): no GPU.
  Report rep = build_report(fixture_dir("embedded_3ep_stop_generic_cpu"));
  ASSERT_EQ(rep.runs.size(), 1u);
  const RunReport& r = rep.runs[0];
  EXPECT_EQ(r.format, "text logs");
  EXPECT_EQ(r.version, "2.3.1");
  EXPECT_EQ(r.components, std::vector<std::string>{"cpu"});
  EXPECT_EQ(*r.pue, 1.58);
  EXPECT_EQ(*r.intensity_g_per_kwh, 481.0);
  EXPECT_EQ(r.intensity_location, "UNDETECTED");
  EXPECT_EQ(r.intensity_source, "world average of 2019 (live intensity unavailable)");
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_DOUBLE_EQ(r.epochs[0].energy_j[0], 60.0 * 1.5);
  EXPECT_DOUBLE_EQ(*r.epochs[0].co2_g, 90.0 / 3.6e6 * 481.0);
  EXPECT_EQ(r.devices[0].name, "AMD EPYC");
  EXPECT_EQ(r.devices[0].provenance, "not recorded");
  EXPECT_EQ(*r.devices[0].energy_j, 270.0);
  EXPECT_FALSE(r.power);
  ASSERT_TRUE(r.pred);
  EXPECT_EQ(r.pred->energy_kwh, 0.000118512789);
  EXPECT_EQ(r.actual->energy_kwh, 0.000118515438);
}

TEST(ReportModel, EveryOriginalFixtureGivesTheParsersFigures) {
  for (const auto& entry : fs::directory_iterator(fixture_dir(""))) {
    if (!entry.is_directory()) continue;
    SCOPED_TRACE(entry.path().string());
    Report rep = build_report(entry.path().string());
    auto runs = parser::parse_all_logs(entry.path().string());
    ASSERT_EQ(rep.runs.size(), runs.size());
    EXPECT_EQ(rep.sentence, parser::aggregate_sentence(parser::aggregate(runs)));
    std::string html = report_html(rep);
    EXPECT_NE(html.find(rep.sentence), std::string::npos);
    for (size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].actual) {
        EXPECT_NE(html.find(format_fixed(runs[i].actual->energy_kwh, 6)), std::string::npos);
      }
    }
  }
}

TEST(ReportModel, KilledTextRunShowsItsEpochs) {
  // The original's GPU+CPU run, killed after its first epoch: the standard
  // log ends after the epoch's lines and the output log has no actual block.
  ScratchDir dir;
  std::string src =
      fixture_dir("cli_sim_cpu_gpu") + "/13016.744321_2026-11-26T213553Z_carbontracker";
  std::string std_log = read_text(src + ".log");
  std_log = std_log.substr(0, std_log.find("Training was interrupted"));
  std_log = std_log.substr(0, std_log.rfind('\n') + 1);
  std::string out_log = read_text(src + "_output.log");
  out_log = out_log.substr(0, out_log.find("Average carbon"));
  out_log = out_log.substr(0, out_log.rfind('\n') + 1);
  write_file(dir.file("1.2_2026-11-26T213553Z_carbontracker.log"), std_log);
  write_file(dir.file("1.2_2026-11-26T213553Z_carbontracker_output.log"), out_log);
  Report rep = build_report(dir.file("1.2_2026-11-26T213553Z_carbontracker.log"));
  ASSERT_EQ(rep.runs.size(), 1u);
  const RunReport& r = rep.runs[0];
  EXPECT_NE(r.status.find("killed"), std::string::npos);
  EXPECT_FALSE(r.actual);
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_DOUBLE_EQ(r.epochs[0].energy_j[0], 200.0 * 3.01);
  EXPECT_DOUBLE_EQ(r.epochs[0].energy_j[1], 75.0 * 3.01);
  EXPECT_FALSE(r.intensity_g_per_kwh);  // its line was not written yet
  std::string html = report_html(rep);
  EXPECT_NE(html.find(format_fixed(275.0 * 3.01 / 3.6e6, 6)), std::string::npos);
  EXPECT_NE(html.find(format_fixed(275.0 * 3.01 * 1.58 / 3.6e6, 6)), std::string::npos);
}

TEST(ReportModel, SeveralRunsAggregateFirstThenOneSectionEach) {
  ScratchDir dir;
  RunResult run = scripted_run();
  write_run(dir.file(std::string(kStem) + ".jsonl"), run);
  for (const auto& entry : fs::directory_iterator(fixture_dir("embedded_3ep_stop_generic_cpu")))
    fs::copy(entry.path(), dir.file(entry.path().filename().string()));
  Report rep = build_report(dir.path());
  ASSERT_EQ(rep.runs.size(), 2u);
  auto runs = parser::parse_all_logs(dir.path());
  parser::Aggregate total = parser::aggregate(runs);
  EXPECT_EQ(rep.aggregate.energy_kwh, total.energy_kwh);
  EXPECT_EQ(rep.aggregate.runs, 2);
  std::string html = report_html(rep);
  size_t all = html.find("<h2>All runs</h2>");
  size_t first = html.find("<h2>Run " + rep.runs[0].name + "</h2>");
  size_t second = html.find("<h2>Run " + rep.runs[1].name + "</h2>");
  ASSERT_NE(all, std::string::npos);
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(all, first);
  EXPECT_LT(first, second);
  EXPECT_LT(html.find(format_fixed(total.energy_kwh, 6)), first);
  // Chart titles name their run.
  EXPECT_NE(html.find(rep.runs[1].name + ": Energy per epoch"), std::string::npos);
}

TEST(ReportRender, InvalidUtf8InALogIsReplaced) {
  // A device name with bytes that are not UTF-8 (cairo draws no such text).
  ScratchDir dir;
  std::string src =
      fixture_dir("cli_sim_cpu_gpu") + "/13016.744321_2026-11-26T213553Z_carbontracker";
  for (const char* suffix : {".log", "_output.log"}) {
    std::string text = read_text(src + suffix);
    for (size_t p = 0; (p = text.find("A100", p)) != std::string::npos; p += 4) text[p] = '\xff';
    write_file(dir.file(std::string("1.2_2026-11-26T213553Z_carbontracker") + suffix), text);
  }
  Report rep = build_report(dir.path());
  ASSERT_EQ(rep.runs.size(), 1u);
  generate_report(dir.path(), dir.file("r.pdf"));
  EXPECT_EQ(read_text(dir.file("r.pdf")).substr(0, 5), "%PDF-");
  std::string html = report_html(rep);
  EXPECT_NE(html.find("NVIDIA ?100-SXM4-40GB"), std::string::npos);
}

TEST(ReportModel, BadPathsNameTheFix) {
  ScratchDir dir;
  try {
    build_report(dir.file("nope"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find(dir.file("nope")), std::string::npos);
  }
  write_file(dir.file("notes.txt"), "hello\n");
  EXPECT_THROW(build_report(dir.file("notes.txt")), Error);
  try {
    build_report(dir.path());  // no run in it
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no carbontracker run"), std::string::npos);
  }
}

TEST(ReportRender, FormatByExtension) {
  EXPECT_EQ(format_for("a.pdf"), Format::kPdf);
  EXPECT_EQ(format_for("dir.x/A.HTML"), Format::kHtml);
  EXPECT_EQ(format_for("a.htm"), Format::kHtml);
  EXPECT_EQ(format_for("a.svg"), Format::kSvg);
  EXPECT_EQ(format_for("a.png"), Format::kPng);
  EXPECT_EQ(format_for("a.docx"), std::nullopt);
  EXPECT_EQ(format_for("dir.pdf/report"), std::nullopt);
  ScratchDir dir;
  write_run(dir.file(std::string(kStem) + ".jsonl"), scripted_run());
  try {
    generate_report(dir.path(), dir.file("r.docx"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(".pdf, .html, .svg or .png"), std::string::npos);
  }
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

TEST(ReportRender, EveryFormatIsWritten) {
  ScratchDir dir;
  RunResult run = scripted_run();
  write_run(dir.file(std::string(kStem) + ".jsonl"), run);
  generate_report(dir.path(), dir.file("r.png"));
  std::string png = read_text(dir.file("r.png"));
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_EQ(be32(png, 16), 1440u);     // 720 pt at scale 2
  EXPECT_EQ(be32(png, 20), 3 * 540u);  // three charts
  generate_report(dir.path(), dir.file("r.svg"));
  std::string svg = read_text(dir.file("r.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("height=\"810"), std::string::npos);
  generate_report(dir.path(), dir.file("r.pdf"));
  std::string pdf = read_text(dir.file("r.pdf"));
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  generate_report(dir.path(), dir.file("r.html"));
  std::string html = read_text(dir.file("r.html"));
  EXPECT_NE(html.find(format_fixed(run.actual->energy_kwh, 6)), std::string::npos);
  EXPECT_NE(html.find(format_fixed(run.actual->energy_kwh / 1.5, 6)), std::string::npos);
  EXPECT_NE(html.find(format_fixed(run.actual->co2_g, 6)), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // SVG namespaces only
  EXPECT_EQ(html.find("src="), std::string::npos);
  // Three inline charts, their glyph ids kept apart.
  size_t n = 0;
  for (size_t p = 0; (p = html.find("<svg", p)) != std::string::npos; ++p) ++n;
  EXPECT_EQ(n, 3u);
  EXPECT_NE(html.find("id=\"c3-"), std::string::npos);
  EXPECT_THROW(generate_report(dir.path(), dir.file("missing/dir/r.pdf")), Error);
}

}  // namespace
}  // namespace carbontracker::report
