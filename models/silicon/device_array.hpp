#pragma once
// Every GPU and CPU of a site, as one array, and the jobs they run.
//
// Device power [W] at clock fraction x, activity a (input), junction temperature T:
//     P = P_idle + a P_dyn g(x) + P_leak,ref exp(k (T - T_ref)) + P_mem,idle + a P_mem,dyn
// with g(x) = x v(x)^2 (DVFS, see dvfs.hpp). The clock is the highest that respects the
// power cap, the thermal slowdown ramp (full clock at T_slowdown, x_min at T_slowdown + band)
// and an external power limit; the binding one is the throttle reason. Crossing the
// shutdown temperature drops the device out (zero power, zero clock) and stalls its job.
// The logic power is heat in the junction node, the memory power in the memory node (or the
// junction when the device has no memory node).
//
// A synchronous (training) job advances at the pace of its slowest member; its work is
// integrated by an accumulator state [s of full-speed work]. Device-seconds spent throttled
// are integrated per reason [s]. Work lost (members x (1 - pace)) is integrated per cause
// [device-s]: the cause is the throttle reason of the member that sets the pace, thermal
// limits count as a cooling fault once the scenario's first cooling fault has begun, and a
// member whose feed was shed counts as an outage. The causes add up to the lost work exactly.

#include <array>
#include <string>
#include <vector>

#include "models/silicon/dvfs.hpp"
#include "solver/network.hpp"

namespace dctwin {

struct DeviceParams {
    double idle_power = 0.0;           ///< [W]
    double dynamic_power = 0.0;        ///< [W] at activity 1 and full clock
    double leakage_power = 0.0;        ///< [W] at the reference temperature
    double leakage_coeff = 0.0;        ///< [1/K]
    double leakage_ref_T = 0.0;        ///< [K]
    double memory_idle_power = 0.0;    ///< [W]
    double memory_dynamic_power = 0.0; ///< [W] at activity 1
    ClockCurve clock;
    double power_cap = 1e30;           ///< [W] on the total device power
    double slowdown_T = 1e30;          ///< [K]
    double slowdown_band = 2.0;        ///< [K]
    double shutdown_T = 1e30;          ///< [K]
    double memory_max_T = 1e30;        ///< [K]
};

/// Why work was lost (see DeviceArray::lost_work_state).
enum class LostCause : std::uint8_t { power_cap = 0, thermal = 1, site_power_limit = 2, cooling_fault = 3, outage = 4 };
constexpr int kLostCauses = 5;
const char* lost_cause_name(LostCause c);

struct DeviceNodes {
    int junction = -1;  ///< junction state
    int memory = -1;    ///< memory (HBM) state, -1: none
};

class DeviceArray final : public Block {
public:
    /// Threshold crossings found by root-finding: slowdown, shutdown, memory limit. (Where a
    /// power limit starts to bind the clock only has a kink: CVODE's error control handles it,
    /// and a root there would not restart the integration anyway.)
    static constexpr int kRootsPerDevice = 3;

    /// A job; synchronous jobs run at their slowest member's pace. Returns its id.
    int add_job(std::string name, bool synchronous);
    /// activity: input in [0, 1]; limit: input [W] of an external power limit, or -1;
    /// stage: the power stage feeding it; job: a job id or -1. count > 1 lumps that many
    /// identical devices under identical load into this one: its nodes then stand for all of
    /// them (capacities and conductances scaled by count, by the caller), its loads are count
    /// times one device's, and it counts as count members of its job and count devices in
    /// every tally. Each of them follows the same trajectory, so the answer is the same.
    void add(std::string path, DeviceNodes nodes, const DeviceParams& p, int activity, int limit, int stage,
             int job, int count = 1);

    /// Modelled devices (a lumped one counts once).
    std::size_t size() const { return nodes_.size(); }
    /// Devices modelled device k stands for (1 unless lumped).
    int count(std::size_t k) const { return count_[k]; }
    /// Physical devices: the sum of count().
    std::size_t device_total() const { return device_total_; }
    std::size_t job_count() const { return jobs_.size(); }
    const std::string& path(std::size_t k) const { return path_[k]; }
    const DeviceParams& params(std::size_t k) const { return p_[k]; }
    const DeviceNodes& nodes(std::size_t k) const { return nodes_[k]; }
    int logic_load(std::size_t k) const { return load_[k]; }
    int memory_load(std::size_t k) const { return mem_load_[k]; }
    bool dropped(std::size_t k) const { return dropped_[k] != 0; }
    const std::string& job_name(std::size_t j) const { return jobs_[j].name; }
    /// Devices in job j (lumped ones by their count).
    std::size_t job_size(std::size_t j) const { return std::size_t(jobs_[j].size); }
    int job_work_state(std::size_t j) const { return jobs_[j].work; }
    /// [W] the members' dynamic power (logic and memory) at activity 1 and full clock.
    double job_dynamic_power(std::size_t j) const {
        double w = 0;
        for (int m : jobs_[j].members)
            w += count_[std::size_t(m)] * (p_[std::size_t(m)].dynamic_power + p_[std::size_t(m)].memory_dynamic_power);
        return w;
    }
    /// Accumulator of device-seconds throttled for reason r (power_cap, thermal, external, shutdown).
    int throttle_state(Throttle r) const { return throttle_acc_[std::size_t(r) - 1]; }
    /// Accumulator of work lost for cause c [device-s].
    int lost_work_state(LostCause c) const { return lost_acc_[std::size_t(c)]; }
    /// The input (0 or 1) telling whether a cooling fault has begun; -1: never (before declare).
    void set_cooling_fault_input(int input) { fault_input_ = input; }

    /// [1] the device's power at the clock its other limits allow, over its power cap: above 1
    /// exactly when the cap lowers the clock; 0 for a device that is out or unpowered. From the
    /// last evaluation (Network::rhs), which must have been at the point asked about.
    double cap_utilisation(std::size_t k) const { return p_free_[k] / p_[k].power_cap; }
    /// [W] the power at the clock the other limits allow (the numerator of cap_utilisation).
    const double* free_power() const { return p_free_.data(); }

    // What the last evaluation found (valid after Network::rhs).
    double clock(std::size_t k) const { return x_[k]; }
    Throttle reason(std::size_t k) const { return Throttle(reason_[k]); }
    double job_pace(std::size_t j) const { return jobs_[j].pace; }
    /// Device index of the member that sets the job's pace (-1 for an empty job).
    int job_slowest(std::size_t j) const { return jobs_[j].slowest; }

    std::string name() const override { return "devices"; }
    void declare(Network& net) override;
    void eval(EvalContext& ctx) const override;
    void jacobian(const EvalContext& ctx, JacobianFill& jac, LoadDerivatives& dl) const override;
    int num_roots() const override { return int(kRootsPerDevice * size()); }
    void roots(const EvalContext& ctx, double* g) const override;
    bool on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) override;
    /// A powered device that starts at or beyond its shutdown temperature drops out at the
    /// start; beyond its slowdown or memory limit, the onset is recorded there.
    bool on_start(const EvalContext& ctx, std::vector<Event>& events) override;
    bool roots_watch_thermal() const override { return true; }

private:
    struct Job {
        std::string name;
        bool synchronous = true;
        std::vector<int> members;      ///< device indices
        double size = 0;               ///< devices, lumped ones by their count
        std::vector<int> entries;      ///< Jacobian entries (work, member junction)
        int work = -1;                 ///< accumulator state
        mutable double pace = 0.0;
        mutable int slowest = -1;
    };
    /// The clock of device k at junction temperature T, activity a and external limit
    /// (-1: none). Relative powers r = (P - P_base) / (a P_dyn) compare limits without
    /// inverting g: a limit binds below the thermally allowed clock exactly when its r is
    /// below g(x_unc), and g is inverted only then.
    struct Clock {
        double x, dxdT;
        double x_unc;        ///< [1] the clock the thermal ramp allows
        double x_ext;        ///< [1] the clock the external limit allows, or kNoLimit when above x_unc
        double g_unc;        ///< [1] g(x_unc)
        double r_cap, r_ext; ///< [1] relative powers of the cap and the external limit (+inf: none)
        double leak;         ///< [W] leakage power at T
        Throttle reason;
    };
    Clock solve_clock(std::size_t k, double T, double a, double limit) const;

    std::vector<std::string> path_;
    std::vector<DeviceNodes> nodes_;
    std::vector<DeviceParams> p_;
    std::vector<int> activity_, limit_, stage_, job_, load_, mem_load_, count_;
    std::size_t device_total_ = 0;
    std::vector<char> dropped_;
    std::vector<Job> jobs_;
    std::array<int, 4> throttle_acc_{-1, -1, -1, -1};
    std::array<int, kLostCauses> lost_acc_{-1, -1, -1, -1, -1};
    int fault_input_ = -1;
    /// Per member of every job (in job order), Jacobian entries (lost_c, junction) for the
    /// causes whose loss depends on the temperature (power_cap .. cooling_fault).
    std::vector<std::array<int, 4>> lost_entries_;
    std::vector<std::size_t> lost_entry_offset_;  ///< job -> first member in lost_entries_
    LostCause cause(std::size_t k, const EvalContext& ctx) const;
    // Per evaluation.
    mutable std::vector<double> x_, dxdT_, dPdT_;  ///< clock [1], its d/dT [1/K], d(power)/dT [W/K]
    mutable std::vector<double> p_free_;  ///< [W] one device's power at the clock all but its cap allow
    mutable std::vector<std::uint8_t> reason_;
    mutable std::vector<std::uint8_t> unpowered_;  ///< its feed was shed
};

}  // namespace dctwin
