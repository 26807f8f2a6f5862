// The "This is equivalent to:" figures that follow a CO2eq figure (console
// text, logs, JSONL): one unit today, as the original has.
#pragma once

namespace carbontracker {

// EEA 2020 average of new passenger cars: 107.5 gCO2eq per km.
inline constexpr double kCarGramsPerKm = 107.5;

// The unit's name as the logs write it.
inline constexpr const char* kCarKmUnit = "km travelled by car";

// Kilometres by car that emit co2_g grams of CO2eq.
inline double car_km(double co2_g) { return co2_g / kCarGramsPerKm; }

}  // namespace carbontracker
