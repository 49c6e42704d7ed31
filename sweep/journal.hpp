#pragma once
// The record of a sweep in its output folder, made to survive a kill at any moment:
//
//   DIR/sweep.json    what the folder holds: the sweep's hash, file, base site, case count
//   DIR/cases.jsonl   one JSON line per finished case (complete or failed), appended with a
//                     single write() each: a kill loses only the cases in flight, and a torn
//                     last line (a crash mid-write) is dropped when the journal is reopened
//
// summary.csv and summary.h5 are made from the journal at the end (sweep/summary.hpp).

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "sweep/sweep_file.hpp"

namespace dctwin::sweep {

/// The output folder cannot be used (I/O error, or it holds another sweep).
class SweepDirError : public std::runtime_error {
public:
    SweepDirError(const std::string& what, bool bad_input) : std::runtime_error(what), bad_input(bad_input) {}
    bool bad_input;  ///< the user's doing (another sweep's folder): exit 2, else 1
};

/// One finished case: {"case": i, "status": "complete"|"failed", "error": "...",
/// "values": [...], "results": {column: value, ...}, "wall_s": ...}.
using CaseRecord = nlohmann::json;

/// Holds DIR/.lock (flock) while alive, so that two sweeps never write one folder at once;
/// creates DIR. Throws SweepDirError (bad input) when another process holds it.
class DirLock {
public:
    explicit DirLock(const std::string& dir);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

private:
    int fd_ = -1;
};

/// Prepares DIR for `sweep`: creates it, checks (or writes) DIR/sweep.json. A folder holding
/// a different sweep (another hash) is refused unless `restart`, which removes the journal,
/// the summaries and the per-case results files first. Throws SweepDirError.
void prepare_dir(const Sweep& sweep, const std::string& dir, bool restart);

/// Reads DIR/cases.jsonl: the last record of each case index below `cases`. A torn last line
/// is cut off the file (so that the next append starts a line of its own).
std::map<std::size_t, CaseRecord> read_journal(const std::string& dir, std::size_t cases);

/// Appends records to DIR/cases.jsonl, one write() per record; fsync at most once per
/// `sync_interval_s` [s] and at close (a kill of the process loses nothing written; a
/// power cut at most that interval).
class Journal {
public:
    explicit Journal(const std::string& dir, double sync_interval_s = 1.0);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;
    void append(const CaseRecord& record);  ///< throws SweepDirError
    void sync();

private:
    int fd_ = -1;
    std::string path_;
    double interval_;
    double last_sync_ = 0;  ///< [s] monotonic clock
};

/// DIR/cases/case-000123.h5 (digits for every index of the sweep, at least 4).
std::string case_results_path(const std::string& dir, std::size_t index, std::size_t cases);

}  // namespace dctwin::sweep
