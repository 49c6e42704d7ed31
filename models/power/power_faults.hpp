#pragma once
// Scheduled failures in the power chain: PSUs leaving a rack's power shelf, and a PDU (a
// hall's busway or the distribution) failing, at known times from the site's scenario.
//
// PSU failure: if the PSUs left can carry the shelf's output (each at most its rating), the
// redundancy takes over: the load is shared by fewer PSUs on the efficiency curve (each runs
// further up it, so the loss changes) and the shelf's rating becomes min(N, left) PSUs.
// Otherwise the shelf drops the rack: everything it feeds is shed (its devices stop; their
// work is lost to `outage`). A repaired PSU (the event's duration) rejoins the shelf. After the
// failure the shelf's rating constraint reports a later overload; it does not trip the shelf.
// PDU failure: the format gives each rack one feed (no A/B path), so everything below the
// failed busway or distribution is shed.
//
// Each is a discrete change made just after its time (a root on time, just_after()), where the
// tree has been evaluated with the inputs after any discontinuity at that time.

#include <string>
#include <vector>

#include "solver/loss.hpp"
#include "solver/network.hpp"

namespace dctwin {

class PowerFaults final : public Block {
public:
    /// A PSU shelf (stage) that may lose PSUs: its full loss model (every PSU) and the PSUs its
    /// rating counts (psu_count - redundancy). Returns its index.
    int add_shelf(std::string path, int stage, const LossModel& full, int rated_units);
    /// At t [s], `delta` PSUs of shelf `shelf` fail (negative) or come back (positive).
    void add_psu_change(double t, int shelf, int delta);
    /// At t [s], the PDU at `stage` (path) fails.
    void add_pdu_failure(double t, int stage, std::string path);
    bool empty() const { return items_.empty(); }
    /// PSUs working in shelf k now.
    int working(std::size_t k) const { return shelves_[k].working; }

    std::string name() const override { return "power_faults"; }
    void declare(Network& net) override { net_ = &net; }
    void eval(EvalContext&) const override {}
    void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives&) const override {}
    int num_roots() const override { return int(items_.size()); }
    void roots(const EvalContext& ctx, double* g) const override;
    bool on_root(int i, int dir, const EvalContext& ctx, std::vector<Event>& events) override;

private:
    struct Shelf {
        std::string path;
        int stage = -1;
        LossModel full;       // every PSU in
        int rated_units = 0;
        int working = 0;
    };
    struct Item {
        double t = 0.0;       // [s] when
        bool pdu = false;
        int target = -1;      // shelf index (PSU) or stage (PDU)
        int delta = 0;        // PSUs
        std::string path;     // PDU: its stage path
        bool done = false;
    };
    std::vector<Shelf> shelves_;
    std::vector<Item> items_;
    Network* net_ = nullptr;
};

}  // namespace dctwin
