#ifndef PTUNE_CLIENT_CTL_JOB_FORMAT_H_
#define PTUNE_CLIENT_CTL_JOB_FORMAT_H_

#include <string>
#include <vector>

#include "ptune/v1/job_service.pb.h"

namespace ptune::ctl {

// `ptunectl get` in human form: one "Key  value" line per aspect of the job.
std::string FormatJobDetail(const ptune::v1::Job& job);

// `ptunectl list`: an aligned table, header first, one row per job.
std::string FormatJobTable(const std::vector<ptune::v1::Job>& jobs);

// `ptunectl workers`: an aligned table, header first, one row per worker.
std::string FormatWorkerTable(const std::vector<ptune::v1::WorkerInfo>& workers);

// Columns padded to the widest cell, two spaces apart.
std::string AlignTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace ptune::ctl

#endif  // PTUNE_CLIENT_CTL_JOB_FORMAT_H_
