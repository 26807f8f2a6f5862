// The answers of the live intensity providers and of IP geolocation, read
// without the network: each function takes an answer's body and returns its
// value or a one-line error naming what is wrong. Answers are untrusted
// input (a const json is never indexed with [], a field of another type is
// an error or absent, never an exception); tests/fuzz runs them under
// libFuzzer (intensity_fuzz).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "intensity/providers.h"

namespace carbontracker {

template <typename T>
Fetched<T> fetch_failure(std::string error) {
  Fetched<T> f;
  f.error = std::move(error);
  return f;
}

// A forecast's points (time, intensity), in the order of the answer.
using ForecastPoints = std::vector<std::pair<double, double>>;

// parse_geolocation (providers.h) is defined with these.

// Electricity Maps: /v3/carbon-intensity/latest ({"zone","carbonIntensity",
// "datetime"}) and /forecast ({"forecast":[{"datetime","carbonIntensity"}]}:
// points with a valid time and intensity, sorted by time, each lasting until
// the next and the last an hour).
Fetched<IntensityReading> parse_electricitymaps_latest(const std::string& body);
Fetched<std::vector<Segment>> parse_electricitymaps_forecast(const std::string& body);

// carbonintensity.org.uk: the national /intensity answer ({"data":[{"from",
// "intensity":{"actual","forecast"}}]}: the actual value, else the forecast)
// and the regional one, whose region is data[0] (current) or data
// (forecast) and holds its own "data" list and "shortname". Segments: the
// entries of the (regional) data list with a valid from < to and forecast.
Fetched<IntensityReading> parse_uk_national(const std::string& body);
Fetched<IntensityReading> parse_uk_regional(const std::string& body);
Fetched<std::vector<Segment>> parse_uk_segments(const std::string& body, bool regional);

// Energi Data Service: the first of "records" of CO2Emis (its "CO2Emission"
// and "Minutes5UTC"), and the valid records of CO2EmisProg as points.
Fetched<IntensityReading> parse_eds_latest(const std::string& body);
Fetched<ForecastPoints> parse_eds_prognosis(const std::string& body);

}  // namespace carbontracker
