#include "tracker/run_metadata.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "logs/log_text.h"

namespace carbontracker {
namespace {

TEST(RunMetadata, CollectsHostAndClusterVariables) {
  Environment env;
  env.vars = {{"SLURM_JOB_ID", "4242"}, {"RANK", "3"}, {"HOME", "/root"}, {"SLURM_NODEID", "1"}};
  RunMetadata m = collect_run_metadata(env);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(m.hostname, host);
  EXPECT_FALSE(m.version.empty());
  EXPECT_EQ(m.cluster, (std::map<std::string, std::string>{
                           {"SLURM_JOB_ID", "4242"}, {"RANK", "3"}, {"SLURM_NODEID", "1"}}));
  EXPECT_EQ(run_metadata_json(m), std::string("{\"hostname\":\"") + host +
                                      "\",\"SLURM_JOB_ID\":\"4242\",\"SLURM_NODEID\":\"1\","
                                      "\"RANK\":\"3\"}");
  // The standard-log line written from it parses back.
  parser::StdLogText s = parser::parse_std_log_text(
      "2025-01-01 00:00:00 - Run metadata: " + run_metadata_json(m) + "\n");
  EXPECT_EQ(s.info.hostname, host);
  EXPECT_EQ(s.info.cluster, m.cluster);
}

}  // namespace
}  // namespace carbontracker
