// libFuzzer: the readers of a run record (record.json): the typed record's
// parser (rig::record, used by analyze, trend and the daemon), the HTML report,
// which renders whatever a record holds, and the schema validator. Any input
// gives a record or std::exception from the parser, a page and a list of
// schema errors; never a crash.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/record/record.hpp"
#include "rig/reports/json_schema.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto schema =
        nlohmann::json::parse(rig::read_file(rig::fuzz::source_dir() / "reports" / "schema" / "run-record.schema.json"));
    try {
        (void)rig::run_record::parse_record(rig::fuzz::as_text(data, size));
    } catch (const std::exception&) {
        // a precise refusal is the expected outcome for most inputs
    }
    const auto record = nlohmann::json::parse(rig::fuzz::as_text(data, size), nullptr, false);
    if (record.is_discarded()) return 0;
    (void)rig::validate_json_schema(schema, record);
    rig::HtmlReportInputs in;
    in.record = record;
    in.record_sha256 = std::string(64, '0');
    in.generated_utc = "2026-01-01T00:00:00.000Z";
    (void)rig::render_html_report(in);
    return 0;
}
