#include "upkeep/update/doctor_report.h"

#include <algorithm>

namespace upkeep {

void DoctorReport::pass(std::string check, std::string subject, std::string message) {
  findings.push_back({std::move(check), std::move(subject), DoctorFinding::Level::kPass, std::move(message), ""});
}

void DoctorReport::warn(std::string check, std::string subject, std::string message, std::string fix) {
  findings.push_back(
      {std::move(check), std::move(subject), DoctorFinding::Level::kWarning, std::move(message), std::move(fix)});
}

void DoctorReport::failure(std::string check, std::string subject, std::string message, std::string fix) {
  findings.push_back(
      {std::move(check), std::move(subject), DoctorFinding::Level::kFailure, std::move(message), std::move(fix)});
}

bool DoctorReport::passed() const { return count(DoctorFinding::Level::kFailure) == 0; }

size_t DoctorReport::count(DoctorFinding::Level level) const {
  return static_cast<size_t>(
      std::count_if(findings.begin(), findings.end(), [&](const DoctorFinding& f) { return f.level == level; }));
}

const char* DoctorReport::level_name(DoctorFinding::Level level) {
  switch (level) {
    case DoctorFinding::Level::kPass:
      return "pass";
    case DoctorFinding::Level::kWarning:
      return "warning";
    case DoctorFinding::Level::kFailure:
      return "failure";
  }
  return "failure";
}

Json DoctorReport::to_json() const {
  Json list = Json::array();
  for (const DoctorFinding& f : findings) {
    Json j = Json::object();
    j["check"] = f.check;
    j["subject"] = f.subject;
    j["level"] = level_name(f.level);
    j["message"] = f.message;
    if (!f.fix.empty()) j["fix"] = f.fix;
    list.push_back(std::move(j));
  }
  Json j = Json::object();
  j["url"] = url;
  j["checked_at"] = checked_at;
  j["passed"] = passed();
  j["failures"] = static_cast<int64_t>(count(DoctorFinding::Level::kFailure));
  j["warnings"] = static_cast<int64_t>(count(DoctorFinding::Level::kWarning));
  j["findings"] = std::move(list);
  return j;
}

}  // namespace upkeep
