// The site's jobs as network inputs (models/site_jobs.hpp): activity signals, power limits,
// smoothing filters and replayed traces, and the job of each device by its members' prefixes.

#include "models/site_jobs.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "models/step_schedule.hpp"
#include "models/workload/smoothed_signal.hpp"
#include "models/workload/trace.hpp"
#include "models/workload/training.hpp"

namespace dctwin {

namespace {

// How far over its device type's max_power a replayed power trace may go.
constexpr double kTraceOverRating = 1.5;

std::unique_ptr<InputSignal> schedule(const std::vector<ActivityStep>& steps) {
    std::vector<double> t, v;
    for (const auto& s : steps) t.push_back(s.at), v.push_back(s.value);
    return std::make_unique<StepSchedule>(t, v);
}

// Which of a list of prefix lists (the jobs' members) a path is under, by looking up the
// path's own prefixes (the whole path, or up to a '/') instead of comparing every prefix of
// every list: a site replaying a thousand GPUs'
// utilisation as jobs of a few nodes each has as many member prefixes as devices. An empty
// list matches every path.
class PrefixIndex {
public:
    explicit PrefixIndex(const std::vector<const std::vector<std::string>*>& lists) {
        for (std::size_t j = 0; j < lists.size(); ++j) {
            if (lists[j]->empty()) everything_.push_back(int(j));
            for (const std::string& m : *lists[j]) {
                auto& owners = by_prefix_[m];
                if (owners.empty() || owners.back() != int(j)) owners.push_back(int(j));
            }
        }
    }
    /// The lists `path` is under, in increasing order.
    const std::vector<int>& lists_of(const std::string& path) {
        auto look = [&](std::string_view prefix, std::vector<int>& into) {
            if (auto it = by_prefix_.find(prefix); it != by_prefix_.end())
                into.insert(into.end(), it->second.begin(), it->second.end());
        };
        // What the prefixes ending at a '/' match is the same for every device of a rack.
        const std::string_view path_view(path);
        const std::size_t slash = path_view.rfind('/');
        const std::string_view parent = slash == std::string_view::npos ? std::string_view() : path_view.substr(0, slash);
        const bool has_parent = slash != std::string_view::npos;
        if (!parent_valid_ || has_parent != parent_is_path_ || parent != parent_) {
            parent_.assign(parent);
            parent_valid_ = true, parent_is_path_ = has_parent;
            in_parent_ = everything_;
            if (has_parent)
                for (std::size_t k = 0; k <= slash; ++k)
                    if (path[k] == '/') look(path_view.substr(0, k), in_parent_);
        }
        found_ = in_parent_;
        look(path_view, found_);
        std::sort(found_.begin(), found_.end());
        found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
        return found_;
    }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<int>, Hash, std::equal_to<>> by_prefix_;
    std::vector<int> everything_, found_;
    std::string parent_;  // the last path's part before its last '/', and what its prefixes match
    bool parent_valid_ = false, parent_is_path_ = false;
    std::vector<int> in_parent_;
};

InferenceProfile inference_profile(const InferenceSpec& i) {
    InferenceProfile p;
    p.start = i.start;
    p.stop = i.stop > 0 ? i.stop : HUGE_VAL;
    p.mean_demand = i.mean_demand;
    p.amplitude = i.amplitude;
    p.peak_time_of_day = i.peak_time;
    p.time_of_day_at_zero = i.time_of_day_at_start;
    p.batch_utilisation = i.batch_utilisation;
    p.idle_activity = i.idle_activity;
    return p;
}

// A job's activity: its steps, or its training or inference profile.
std::unique_ptr<InputSignal> activity_signal(const JobSpec& j) {
    try {
        if (j.training.present)
            return std::make_unique<TrainingSignal>(training_profile(j.training), j.training.resolution == "averaged"
                                                                                      ? TrainingResolution::averaged
                                                                                      : TrainingResolution::iterations);
        if (j.inference.present) return std::make_unique<InferenceSignal>(inference_profile(j.inference));
    } catch (const std::invalid_argument& e) {
        throw InputError(j.training.present ? j.training.loc : j.inference.loc,
                         "workload.jobs." + j.name + (j.training.present ? ".training" : ".inference"), e.what());
    }
    return schedule(j.activity);
}

// [W] a device's power at activity 0 with its leakage at the reference temperature: the part
// of its power no workload moves (activity scales the rest up to max_power).
double fixed_power(const DeviceTypeSpec& d) {
    return d.idle_power + d.leakage_power + (d.memory_power > 0 ? d.memory_idle_power : 0.0);
}

// The smoothing filter of a job whose first member is a device of type d.
SmoothedActivityParams smoothing_params(const SmoothingSpec& s, const DeviceTypeSpec& d) {
    SmoothedActivityParams p;
    p.fixed_power = fixed_power(d);
    p.dynamic_power = d.max_power - p.fixed_power;
    p.sample_interval = s.sample_interval;
    p.smoothing.tdp = d.max_power;
    p.smoothing.floor_fraction = s.floor;
    p.smoothing.ramp_up_rate = s.ramp_up_rate > 0 ? s.ramp_up_rate : 1e300;
    p.smoothing.ramp_down_rate = s.ramp_down_rate > 0 ? s.ramp_down_rate : 1e300;
    p.smoothing.ramp_down_hysteresis = s.ramp_down_hysteresis;
    return p;
}

// A signal held at or above a floor (a trace's power below a device's fixed power is no
// negative activity).
class ClampedSignal final : public InputSignal {
public:
    ClampedSignal(std::unique_ptr<InputSignal> s, double lo) : s_(std::move(s)), lo_(lo) {}
    double value(double t) const override { return std::max(lo_, s_->value(t)); }
    double next_discontinuity(double t) const override { return s_->next_discontinuity(t); }

private:
    std::unique_ptr<InputSignal> s_;
    double lo_;
};

}  // namespace

TrainingProfile training_profile(const TrainingSpec& t) {
    TrainingProfile p;
    p.start = t.start;
    p.stop = t.stop > 0 ? t.stop : HUGE_VAL;
    p.iteration_period = t.iteration_period;
    p.compute_fraction = t.compute_fraction;
    p.compute_activity = t.compute_activity;
    p.comm_activity = t.communication_activity;
    p.idle_activity = t.idle_activity;
    p.jitter = t.jitter;
    p.seed = std::uint64_t(t.seed);
    p.checkpoint_interval = t.checkpoint_interval;
    p.checkpoint_duration = t.checkpoint_duration;
    p.checkpoint_activity = t.checkpoint_activity;
    p.ramp_duration = t.ramp_duration;
    p.ramp_steps = t.ramp_steps;
    return p;
}

struct SiteJobs::Impl {
    const SiteSpec& spec;
    Network& net;
    std::vector<const SmoothedActivity*>& smoothing;
    int idle = -1;
    std::vector<JobSpec> jobs;
    std::vector<JobInput> job_inputs;
    std::vector<int> job_members;
    std::vector<std::unique_ptr<InputSignal>> unsmoothed;  // smoothed jobs' own activity
    // Replayed traces: one input per (trace device, member device type), made as members come.
    std::vector<Trace> traces;
    std::map<std::tuple<std::size_t, std::size_t, std::string>, int> trace_inputs;
    std::unique_ptr<PrefixIndex> index;

    Impl(const SiteSpec& s, Network& n, std::vector<const SmoothedActivity*>& sm) : spec(s), net(n), smoothing(sm) {}
    int trace_input(std::size_t k, int member, const std::string& type);
};

SiteJobs::SiteJobs(const SiteSpec& spec, Network& net, DeviceArray& devices,
                   std::vector<const SmoothedActivity*>& smoothing)
    : impl_(std::make_unique<Impl>(spec, net, smoothing)) {
    Impl& d = *impl_;
    // Devices in no job idle.
    d.idle = net.add_input(std::make_unique<ConstantSignal>(0.0));
    std::vector<JobSpec>& jobs = d.jobs;
    jobs = spec.jobs;
    if (jobs.empty() && !spec.activity.empty()) {
        JobSpec all;
        all.name = "site";
        all.activity = spec.activity;
        all.loc = spec.simulation.loc;
        jobs.push_back(std::move(all));
    }
    d.job_members.assign(jobs.size(), 0);
    d.unsmoothed.resize(jobs.size());
    smoothing.assign(jobs.size(), nullptr);
    d.traces.resize(jobs.size());
    for (std::size_t k = 0; k < jobs.size(); ++k) {
        const JobSpec& j = jobs[k];
        if (!j.trace.present) continue;
        const std::string key = "workload.jobs." + j.name + ".trace";
        if (j.smoothing.present)
            throw InputError(j.smoothing.loc, "workload.jobs." + j.name + ".smoothing",
                             "smoothing filters a job's one activity signal: a replayed trace has one per device");
        std::filesystem::path file(j.trace.file);
        if (file.is_relative()) file = std::filesystem::path(spec.source_file).parent_path() / file;
        GpuTrace g;
        try {
            g = read_trace_csv(file.string(), key + ".file");
        } catch (const InputError& e) {
            // Placed in the trace, no excerpt of it; the note says where the site names it.
            std::string detail = e.detail;
            if (std::error_code ec; !std::filesystem::exists(file, ec)) detail += "; relative paths start at the site file's folder";
            throw InputError::in_named_file(e.loc, e.key_path, detail, j.trace.loc);
        }
        d.traces[k] = j.trace.quantity == "utilization" ? std::move(g.utilization) : std::move(g.power);
        if (d.traces[k].devices.empty())
            throw InputError(j.trace.loc, key + ".quantity",
                             fmt::format("the trace {} has no {} series", j.trace.file, j.trace.quantity));
    }
    for (std::size_t k = 0; k < jobs.size(); ++k) {
        const JobSpec& j = jobs[k];
        JobInput ji;
        ji.job = devices.add_job(j.name, j.kind == JobKind::training);
        if (!j.power_limit.empty()) ji.limit = net.add_input(schedule(j.power_limit));
        // Trace jobs: an input per member (trace_input). Smoothed jobs: the filter needs the
        // first member's power figures, so its input is made when that member comes (job_of).
        if (j.smoothing.present) d.unsmoothed[k] = activity_signal(j);
        else if (!j.trace.present) ji.activity = net.add_input(activity_signal(j));
        d.job_inputs.push_back(ji);
    }
    std::vector<const std::vector<std::string>*> lists;
    for (const auto& j : jobs) lists.push_back(&j.members);
    d.index = std::make_unique<PrefixIndex>(lists);
}

SiteJobs::~SiteJobs() = default;

// The activity input of member number `member` of trace job k, a device of type `type`.
int SiteJobs::Impl::trace_input(std::size_t k, int member, const std::string& type) {
    const Trace& tr = traces[k];
    const std::size_t d = std::size_t(member) % tr.devices.size();
    const auto key = std::make_tuple(k, d, type);
    if (auto it = trace_inputs.find(key); it != trace_inputs.end()) return it->second;
    const TraceJobSpec& t = jobs[k].trace;
    TraceSignalOptions o;
    o.start = t.start;
    o.repeat = t.repeat;
    if (t.quantity == "power") {
        const DeviceTypeSpec& dt = spec.device_types.at(type);
        // A replayed device may draw a little over its rating (sampling spikes), not many
        // times it: such a trace is of another device or unit, and the steady start or
        // the solver would fail on it later.
        const auto& v = tr.devices[d].value;
        if (const auto peak = std::max_element(v.begin(), v.end());
            peak != v.end() && *peak > kTraceOverRating * dt.max_power)
            throw InputError(t.loc, "workload.jobs." + jobs[k].name + ".trace.file",
                             fmt::format("device {} of the trace draws {:.4g} W at t = {} s, more than {} times the "
                                         "max_power ({:.4g} W) of the device type {} it drives",
                                         tr.devices[d].device, *peak,
                                         tr.devices[d].time[std::size_t(peak - v.begin())], kTraceOverRating,
                                         dt.max_power, type));
        o.gain = 1.0 / (dt.max_power - fixed_power(dt));
        o.offset = -fixed_power(dt) * o.gain;
    }
    const int in = net.add_input(std::make_unique<ClampedSignal>(std::make_unique<TraceSignal>(tr.devices[d], o), 0.0));
    trace_inputs.emplace(key, in);
    return in;
}

JobInput SiteJobs::member(const std::string& device_path, const std::string& type) {
    Impl& d = *impl_;
    const std::vector<JobSpec>& jobs = d.jobs;
    int found = -1;
    for (const int jj : d.index->lists_of(device_path)) {  // the jobs it is in, in order
        const auto j = std::size_t(jj);
        if (found >= 0)
            throw InputError(jobs[j].loc, "workload.jobs." + jobs[j].name + ".members",
                             fmt::format("device {} is already in job {}: a device runs one job at a time",
                                         device_path, jobs[std::size_t(found)].name));
        found = int(j);
    }
    if (found < 0) return JobInput{-1, d.idle, -1};
    const auto k = std::size_t(found);
    const int member = d.job_members[k]++;
    if (d.unsmoothed[k]) {  // its first member: the filter takes this device's figures
        auto sm = std::make_unique<SmoothedActivity>(std::move(d.unsmoothed[k]),
                                                     smoothing_params(jobs[k].smoothing, d.spec.device_types.at(type)));
        d.smoothing[k] = sm.get();
        d.job_inputs[k].activity = d.net.add_input(std::move(sm));
    }
    JobInput ji = d.job_inputs[k];
    if (jobs[k].trace.present) ji.activity = d.trace_input(k, member, type);
    return ji;
}

void SiteJobs::check_members() const {
    const Impl& d = *impl_;
    for (std::size_t j = 0; j < d.jobs.size(); ++j)
        if (d.job_members[j] == 0)
            throw InputError(d.jobs[j].loc, "workload.jobs." + d.jobs[j].name + ".members",
                             "these members match no device of the site");
}

}  // namespace dctwin
