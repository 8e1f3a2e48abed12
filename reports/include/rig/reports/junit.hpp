#pragma once
// JUnit XML from a run record: one <testcase> per measurement, named by its
// id, classname "<scenario id>.<measurement name>". FAIL -> <failure>, ERROR
// -> <error>, each with a message that gives value vs limits and the reason.
// A run that ended ABORTED or ERROR without a measurement to blame (or whose
// record is INCOMPLETE) gets one extra testcase "run" carrying the verdict
// reason, so CI never shows green for a run that did not complete.
//
// Valid against the Apache Ant JUnit schema (tests/data/JUnit.xsd, checked
// with xmllint in test_reports) that GitLab and Jenkins read: testcase `time`
// is the wall time of the measurement's evaluation (Measurement::evaluation),
// not its window; per-testcase facts (requirements, sim truth) are suite
// properties named "<testcase>.<property>"; the value-vs-limits lines are the
// suite's system-out; timestamp is UTC without zone (property timestamp_utc
// keeps the record's text).
#include <nlohmann/json.hpp>

#include <string>

#include "rig/record/record.hpp"

namespace rig {
std::string junit_xml(const run_record::RunRecord& record);
/// The same from the record's JSON form (read through run_record::RunRecord).
std::string junit_xml(const nlohmann::json& record);
}  // namespace rig
