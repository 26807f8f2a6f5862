// How an interval reads in text (the console line, the --parse figures and
// sentence, the report): "+/- 0.14" when its two sides print the same,
// "+0.11/-0.09" when they do not (a skewed CO2eq interval). No figure is
// negative: a lower end below 0 prints as 0 (-100 %).
#pragma once

#include <string>

#include "carbontracker/uncertainty.h"

namespace carbontracker {

// Two printed sides as one: `same` followed by the text when they are the
// same ("+/- " + "0.14"), else "+plus/-minus" ("+0.11/-0.09").
std::string two_sides(const std::string& plus, const std::string& minus, const std::string& same);

// The interval relative to |value|, in percent without the unit:
// "+-3.1" or "+24/-20" (console line; `pm` is the symmetric sign).
std::string relative_interval(ExpandedInterval i, double value, const char* pm = "+-");

// The interval's sides to two significant digits of the smaller, and the
// value to the same decimal place: "4.49 +/- 0.14", "0.42 +0.11/-0.09".
// `scale` divides all three (g to kg).
std::string value_with_interval(double value, const ExpandedInterval& i, double scale = 1);

// The sides alone, as value_with_interval prints them: "+/- 0.14",
// "+0.11/-0.09".
std::string interval_sides(double value, ExpandedInterval i, double scale = 1);

// The interval with its lower end cut at 0 (minus at most |value|).
ExpandedInterval cut_at_zero(ExpandedInterval i, double value);

}  // namespace carbontracker
