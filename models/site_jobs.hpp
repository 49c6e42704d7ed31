#pragma once
// The site's jobs as inputs of the network: each job's activity (steps, a training or
// inference profile, a smoothing filter, replayed traces) and power limit, and which job each
// device runs. Used by the site model while it builds its racks.

#include <memory>
#include <string>
#include <vector>

#include "input/site_spec.hpp"

namespace dctwin {

class DeviceArray;
class Network;
class SmoothedActivity;

/// What a device reads: its job in the DeviceArray (-1: none), and the Network inputs of its
/// activity [1] and external power limit [W] (-1: none).
struct JobInput {
    int job = -1, activity = -1, limit = -1;
};

class SiteJobs {
public:
    /// Adds every job of the site (or one job "site" for a site-wide activity) to `devices`,
    /// and their inputs to `net`. `smoothing` gets each job's filter, null where it has none
    /// (made when its first member comes: the filter takes that device's figures).
    SiteJobs(const SiteSpec& spec, Network& net, DeviceArray& devices,
             std::vector<const SmoothedActivity*>& smoothing);
    ~SiteJobs();
    SiteJobs(const SiteJobs&) = delete;
    SiteJobs& operator=(const SiteJobs&) = delete;

    /// The inputs of the device at `device_path`, of device type `type`, counted as a member
    /// of its job; devices in no job idle. InputError when two jobs claim it.
    JobInput member(const std::string& device_path, const std::string& type);
    /// InputError for a job whose members matched no device (call after the last member).
    void check_members() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dctwin
