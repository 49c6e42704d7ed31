#pragma once
// A direct solver for the Newton matrices of a site, built on their structure.
//
// Almost every state of a site belongs to a small group that couples to the rest only through
// a few shared nodes: a device's junction, plate and memory see each other and their rack's
// coolant node; its power reaches the energy accumulators and the rooms through the
// electrical tree. With the matrix ordered as
//     M = [ A  B ]   A: block diagonal, one small dense block per group ("local" states)
//         [ C  D ]   D: the shared ("interface") states
// the system M x = b is solved by eliminating every block onto the interface:
//     S = D - C A^-1 B   (the Schur complement, factored by KLU: a few hundred states)
//     y = A^-1 b_A,  S x_D = b_D - C y,  x_A = y - (A^-1 B) x_D
// The work is a small dense inverse per block plus the sparse LU of S: linear in the number
// of devices with a small constant, instead of a general sparse LU over every state.
//
// The partition comes from the pattern alone: a state whose row or column holds more than
// `max_degree` off-diagonal entries is shared; the rest fall into connected groups, and a
// group larger than `max_block` joins the interface whole (a pipe's chain of segments).
//
// Threads: the blocks are independent, and every sum over many terms (a row of C y, an entry
// of C A^-1 B) is cut into fixed chunks whose partial sums are added in a fixed order, so the
// result is the same to the bit for any thread count.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace dctwin {

struct BlockEliminationOptions {
    int max_degree = 16;  ///< off-diagonal entries in a row or column above which a state is shared
    int max_block = 12;   ///< a group of more local states than this joins the interface
    class WorkerPool* pool = nullptr;  ///< threads for the block loops (results do not depend on it)
};

class BlockElimination {
public:
    /// The CSC pattern (n x n, every diagonal entry present) of the matrices to solve.
    BlockElimination(std::span<const std::int64_t> col_ptr, std::span<const std::int64_t> row_idx,
                     BlockEliminationOptions opt = {});
    ~BlockElimination();
    BlockElimination(const BlockElimination&) = delete;
    BlockElimination& operator=(const BlockElimination&) = delete;

    /// Factors the matrix with these values (CSC, in the pattern's layout). Returns 0, or 1
    /// when a block or the reduced system is singular.
    int factor(const double* values);
    /// Factors M = I - gamma J without forming it: J's values are jac[source[k]] for entry k
    /// of the pattern (the Newton pattern's map into the Jacobian's values).
    int factor(const double* jac, const std::int64_t* source, double gamma);
    /// Solves M x = b in place (b holds x on return), with the last factored values.
    void solve(double* b) const;

    std::size_t size() const { return n_; }
    std::size_t interface_size() const { return iface_.size(); }
    std::size_t block_count() const { return blk_off_.size() - 1; }
    std::size_t largest_block() const { return largest_; }
    std::size_t reduced_nnz() const { return s_row_.size(); }

private:
    /// Sums over many terms, cut into chunks of at most kChunk terms: chunk i covers terms
    /// [begin[i], begin[i+1]) and belongs to output owner[i]; outputs' chunks are consecutive.
    struct Chunks {
        std::vector<std::int64_t> begin;
        std::vector<std::int32_t> owner;
        mutable std::vector<double> partial;
        void build(const std::vector<std::int64_t>& ptr);  // ptr: CSR offsets by output
    };

    std::size_t n_ = 0, largest_ = 0;
    class WorkerPool* pool_ = nullptr;
    // Blocks: the local states of block k are blk_states_[blk_off_[k] .. blk_off_[k+1]).
    std::vector<std::int64_t> blk_off_;
    std::vector<std::int32_t> blk_states_;
    // Dense block entries: for block k, m x m (row-major) from a_off_[k]: the position of each
    // entry in the matrix values, or -1 (structural zero); inv_ holds A^-1 there.
    std::vector<std::int64_t> a_off_, a_pos_;
    std::vector<double> inv_;
    // B: entries (local row, local b column, value position) from b_off_[k]; the block's
    // distinct interface columns bcol_ from bcol_off_[k]; W = A^-1 B (m x nb) from w_off_[k].
    std::vector<std::int64_t> b_off_, bcol_off_, w_off_;
    std::vector<std::int32_t> b_row_, b_col_, bcol_;
    std::vector<std::int64_t> b_pos_;
    std::vector<double> w_;
    // C by interface row (CSR): the state of each entry's column and its value position.
    std::vector<std::int64_t> cr_ptr_, cr_pos_;
    std::vector<std::int32_t> cr_state_;
    std::vector<double> cr_val_;
    Chunks c_chunks_;
    // The fill C A^-1 B by entry of S (CSR by S slot): terms cr_val_[ft_c_] * w_[ft_w_].
    std::vector<std::int64_t> ft_ptr_;
    std::vector<std::int32_t> ft_c_, ft_w_;
    Chunks f_chunks_;
    // The interface and its reduced system S (CSC over interface indices).
    std::vector<std::int64_t> iface_;              // interface index -> state
    std::vector<std::int64_t> s_col_ptr_, s_row_;  // S's pattern
    std::vector<std::int64_t> d_pos_, d_slot_;     // D entries: value position -> S slot
    std::vector<char> d_diag_;                     // D entry on the diagonal
    template <class Value>
    int factor_impl(Value&& value, double diagonal, bool fused);
    // For factor(jac, source, gamma): the positions above mapped through `source` once, and
    // C's entries in the order of their positions in J, so that the gather streams through J.
    const std::int64_t* mapped_source_ = nullptr;
    std::vector<std::int64_t> a_jpos_, b_jpos_, d_jpos_, cg_jpos_;
    std::vector<std::int32_t> cg_dst_;
    void map_positions(const std::int64_t* source);
    std::vector<double> s_val_;
    mutable std::vector<double> s_rhs_;
    struct Klu;
    std::unique_ptr<Klu> klu_;
};

}  // namespace dctwin
