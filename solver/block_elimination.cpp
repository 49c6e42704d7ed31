#include "solver/block_elimination.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

#include <suitesparse/klu.h>

#include "solver/parallel.hpp"

namespace dctwin {

struct BlockElimination::Klu {
    klu_l_common common{};
    klu_l_symbolic* symbolic = nullptr;
    klu_l_numeric* numeric = nullptr;
    Klu() {
        klu_l_defaults(&common);
        common.ordering = 0;  // AMD
        common.scale = -1;    // no scaling: S keeps the diagonal dominance of the thermal rows
    }
    ~Klu() {
        if (numeric) klu_l_free_numeric(&numeric, &common);
        if (symbolic) klu_l_free_symbolic(&symbolic, &common);
    }
};

namespace {
constexpr std::int64_t kChunk = 1024;  // terms per partial sum
constexpr std::int64_t kParallelBlocks = 4096;  // fewer blocks stay on one thread
constexpr std::int64_t kParallelTerms = 32768;

struct UnionFind {
    std::vector<std::int64_t> parent;
    explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    std::int64_t find(std::int64_t i) {
        while (parent[std::size_t(i)] != i) i = parent[std::size_t(i)] = parent[std::size_t(parent[std::size_t(i)])];
        return i;
    }
    void unite(std::int64_t a, std::int64_t b) {
        a = find(a), b = find(b);
        if (a == b) return;
        if (b < a) std::swap(a, b);
        parent[std::size_t(b)] = a;
    }
};

// Inverse of an m x m row-major block (a is overwritten) into inv, by Gauss-Jordan with
// partial pivoting. false: singular.
bool invert(double* a, double* inv, std::int64_t m) {
    if (m == 1) {
        if (!(a[0] != 0.0) || !std::isfinite(a[0])) return false;
        inv[0] = 1.0 / a[0];
        return true;
    }
    if (m == 2) {
        const double det = a[0] * a[3] - a[1] * a[2];
        if (!(det != 0.0) || !std::isfinite(det)) return false;
        const double r = 1.0 / det;
        inv[0] = a[3] * r, inv[1] = -a[1] * r, inv[2] = -a[2] * r, inv[3] = a[0] * r;
        return true;
    }
    if (m == 3) {
        // Cofactors: the blocks are small and diagonally dominant (I - gamma J of a device).
        const double c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6];
        const double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
        const double scale = std::abs(a[0] * c00) + std::abs(a[1] * c01) + std::abs(a[2] * c02);
        if (std::isfinite(det) && std::abs(det) > 1e-12 * scale) {
            const double r = 1.0 / det;
            inv[0] = c00 * r, inv[1] = (a[2] * a[7] - a[1] * a[8]) * r, inv[2] = (a[1] * a[5] - a[2] * a[4]) * r;
            inv[3] = c01 * r, inv[4] = (a[0] * a[8] - a[2] * a[6]) * r, inv[5] = (a[2] * a[3] - a[0] * a[5]) * r;
            inv[6] = c02 * r, inv[7] = (a[1] * a[6] - a[0] * a[7]) * r, inv[8] = (a[0] * a[4] - a[1] * a[3]) * r;
            return true;
        }
        // Nearly singular by cofactors: pivoting below decides.
    }
    std::fill(inv, inv + m * m, 0.0);
    for (std::int64_t i = 0; i < m; ++i) inv[i * m + i] = 1.0;
    for (std::int64_t j = 0; j < m; ++j) {
        std::int64_t p = j;
        double best = std::abs(a[j * m + j]);
        for (std::int64_t i = j + 1; i < m; ++i)
            if (std::abs(a[i * m + j]) > best) best = std::abs(a[i * m + j]), p = i;
        if (!(best > 0.0) || !std::isfinite(best)) return false;
        if (p != j)
            for (std::int64_t c = 0; c < m; ++c) std::swap(a[j * m + c], a[p * m + c]), std::swap(inv[j * m + c], inv[p * m + c]);
        const double d = 1.0 / a[j * m + j];
        for (std::int64_t c = 0; c < m; ++c) a[j * m + c] *= d, inv[j * m + c] *= d;
        for (std::int64_t i = 0; i < m; ++i) {
            if (i == j) continue;
            const double l = a[i * m + j];
            if (l == 0.0) continue;
            for (std::int64_t c = 0; c < m; ++c) a[i * m + c] -= l * a[j * m + c], inv[i * m + c] -= l * inv[j * m + c];
        }
    }
    return true;
}

}  // namespace

void BlockElimination::Chunks::build(const std::vector<std::int64_t>& ptr) {
    begin.clear(), owner.clear();
    for (std::size_t o = 0; o + 1 < ptr.size(); ++o)
        for (auto b = ptr[o]; b < ptr[o + 1]; b += kChunk) begin.push_back(b), owner.push_back(std::int32_t(o));
    begin.push_back(ptr.empty() ? 0 : ptr.back());
    partial.assign(owner.size(), 0.0);
}

BlockElimination::BlockElimination(std::span<const std::int64_t> cp, std::span<const std::int64_t> ri,
                                   BlockEliminationOptions opt)
    : pool_(opt.pool), klu_(std::make_unique<Klu>()) {
    if (cp.empty()) throw std::invalid_argument("BlockElimination: empty pattern");
    n_ = cp.size() - 1;
    const std::size_t n = n_;
    if (n > std::size_t(std::numeric_limits<std::int32_t>::max()) / 16)
        throw std::invalid_argument("BlockElimination: too many states");
    // Off-diagonal degree of every row and column.
    std::vector<std::int64_t> rdeg(n, 0), cdeg(n, 0);
    for (std::size_t c = 0; c < n; ++c)
        for (auto k = cp[c]; k < cp[c + 1]; ++k) {
            const auto r = std::size_t(ri[std::size_t(k)]);
            if (r != c) ++rdeg[r], ++cdeg[c];
        }
    const std::int64_t max_block = std::clamp(opt.max_block, 1, 16);  // blocks live on the stack
    std::vector<char> shared(n, 0);
    for (std::size_t i = 0; i < n; ++i) shared[i] = rdeg[i] > opt.max_degree || cdeg[i] > opt.max_degree;
    // Groups of local states, joined by any entry between two of them.
    UnionFind uf(n);
    for (std::size_t c = 0; c < n; ++c)
        if (!shared[c])
            for (auto k = cp[c]; k < cp[c + 1]; ++k) {
                const auto r = ri[std::size_t(k)];
                if (!shared[std::size_t(r)]) uf.unite(r, std::int64_t(c));
            }
    std::vector<std::int64_t> group_size(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        if (!shared[i]) ++group_size[std::size_t(uf.find(std::int64_t(i)))];
    for (std::size_t i = 0; i < n; ++i)
        if (!shared[i] && group_size[std::size_t(uf.find(std::int64_t(i)))] > max_block) shared[i] = 1;

    // Interface numbering (by state) and blocks (by their first state, states in order).
    std::vector<std::int64_t> s_index(n, -1), block_of(n, -1), local_of(n, -1), root_block(n, -1);
    for (std::size_t i = 0; i < n; ++i)
        if (shared[i]) s_index[i] = std::int64_t(iface_.size()), iface_.push_back(std::int64_t(i));
    std::vector<std::vector<std::int32_t>> members;
    for (std::size_t i = 0; i < n; ++i) {
        if (shared[i]) continue;
        const auto r = std::size_t(uf.find(std::int64_t(i)));
        if (root_block[r] < 0) root_block[r] = std::int64_t(members.size()), members.emplace_back();
        block_of[i] = root_block[r];
        local_of[i] = std::int64_t(members[std::size_t(root_block[r])].size());
        members[std::size_t(root_block[r])].push_back(std::int32_t(i));
    }
    const std::size_t nb = members.size();
    blk_off_.assign(nb + 1, 0);
    a_off_.assign(nb + 1, 0);
    for (std::size_t k = 0; k < nb; ++k) {
        const auto m = std::int64_t(members[k].size());
        blk_off_[k + 1] = blk_off_[k] + m;
        a_off_[k + 1] = a_off_[k] + m * m;
        largest_ = std::max(largest_, std::size_t(m));
        blk_states_.insert(blk_states_.end(), members[k].begin(), members[k].end());
    }
    a_pos_.assign(std::size_t(a_off_[nb]), -1);
    inv_.assign(a_pos_.size(), 0.0);

    // Entries by kind: A into the blocks, B bucketed by block, C by interface row, D as is.
    const std::size_t m = iface_.size();
    std::vector<std::vector<std::array<std::int64_t, 3>>> bent(nb);  // (local row, S col, pos)
    std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> crow(m);  // per S row: (state, pos)
    std::vector<std::pair<std::int64_t, std::int64_t>> s_entries;  // (S col, S row)
    for (std::size_t c = 0; c < n; ++c)
        for (auto k = cp[c]; k < cp[c + 1]; ++k) {
            const auto r = std::size_t(ri[std::size_t(k)]);
            if (!shared[r] && !shared[c]) {
                const auto blk = std::size_t(block_of[r]);
                const auto mk = blk_off_[blk + 1] - blk_off_[blk];
                a_pos_[std::size_t(a_off_[blk] + local_of[r] * mk + local_of[c])] = k;
            } else if (!shared[r]) {
                bent[std::size_t(block_of[r])].push_back({local_of[r], s_index[c], k});
            } else if (!shared[c]) {
                crow[std::size_t(s_index[r])].emplace_back(std::int64_t(c), k);
            } else {
                d_pos_.push_back(k);
                d_diag_.push_back(r == c);
                s_entries.emplace_back(s_index[c], s_index[r]);
            }
        }
    // B: distinct columns per block, and W's layout.
    b_off_.assign(nb + 1, 0), bcol_off_.assign(nb + 1, 0), w_off_.assign(nb + 1, 0);
    for (std::size_t k = 0; k < nb; ++k) {
        std::vector<std::int32_t> cols;
        for (const auto& e : bent[k]) cols.push_back(std::int32_t(e[1]));
        std::sort(cols.begin(), cols.end());
        cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
        for (const auto& e : bent[k]) {
            b_row_.push_back(std::int32_t(e[0]));
            b_col_.push_back(std::int32_t(std::lower_bound(cols.begin(), cols.end(), std::int32_t(e[1])) - cols.begin()));
            b_pos_.push_back(e[2]);
        }
        bcol_.insert(bcol_.end(), cols.begin(), cols.end());
        b_off_[k + 1] = std::int64_t(b_pos_.size());
        bcol_off_[k + 1] = std::int64_t(bcol_.size());
        w_off_[k + 1] = w_off_[k] + (blk_off_[k + 1] - blk_off_[k]) * std::int64_t(cols.size());
    }
    w_.assign(std::size_t(w_off_[nb]), 0.0);
    if (w_.size() > std::size_t(std::numeric_limits<std::int32_t>::max()))
        throw std::invalid_argument("BlockElimination: too many coupling entries");
    // C by interface row, in state order within a row.
    cr_ptr_.assign(m + 1, 0);
    for (std::size_t r = 0; r < m; ++r) {
        std::sort(crow[r].begin(), crow[r].end());
        for (const auto& [state, pos] : crow[r]) cr_state_.push_back(std::int32_t(state)), cr_pos_.push_back(pos);
        cr_ptr_[r + 1] = std::int64_t(cr_pos_.size());
    }
    cr_val_.assign(cr_pos_.size(), 0.0);
    c_chunks_.build(cr_ptr_);

    // The fill: for C entry (r, state j of block k) and every interface column c of block k,
    // S(r, c) -= C(r, j) W_k(j, c). Terms grouped by S entry.
    struct Term {
        std::int64_t col, row;
        std::int32_t c, w;
    };
    std::vector<Term> terms;
    for (std::size_t r = 0; r < m; ++r)
        for (auto e = cr_ptr_[r]; e < cr_ptr_[r + 1]; ++e) {
            const auto j = std::size_t(cr_state_[std::size_t(e)]);
            const auto k = std::size_t(block_of[j]);
            const auto ncols = bcol_off_[k + 1] - bcol_off_[k];
            for (std::int64_t b = 0; b < ncols; ++b)
                terms.push_back({bcol_[std::size_t(bcol_off_[k] + b)], std::int64_t(r), std::int32_t(e),
                                 std::int32_t(w_off_[k] + local_of[j] * ncols + b)});
        }
    for (const auto& t : terms) s_entries.emplace_back(t.col, t.row);
    for (std::size_t i = 0; i < m; ++i) s_entries.emplace_back(std::int64_t(i), std::int64_t(i));
    std::vector<std::pair<std::int64_t, std::int64_t>> sorted = s_entries;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    s_col_ptr_.assign(m + 1, 0);
    for (const auto& e : sorted) ++s_col_ptr_[std::size_t(e.first) + 1], s_row_.push_back(e.second);
    for (std::size_t i = 0; i < m; ++i) s_col_ptr_[i + 1] += s_col_ptr_[i];
    auto slot = [&](std::int64_t col, std::int64_t row) {
        return std::int64_t(std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(col, row)) - sorted.begin());
    };
    for (std::size_t e = 0; e < d_pos_.size(); ++e) d_slot_.push_back(slot(s_entries[e].first, s_entries[e].second));
    std::stable_sort(terms.begin(), terms.end(),
                     [](const Term& a, const Term& b) { return std::pair(a.col, a.row) < std::pair(b.col, b.row); });
    ft_ptr_.assign(sorted.size() + 1, 0);
    for (const auto& t : terms) {
        ++ft_ptr_[std::size_t(slot(t.col, t.row)) + 1];
        ft_c_.push_back(t.c), ft_w_.push_back(t.w);
    }
    for (std::size_t i = 0; i < sorted.size(); ++i) ft_ptr_[i + 1] += ft_ptr_[i];
    f_chunks_.build(ft_ptr_);

    s_val_.assign(s_row_.size(), 0.0);
    s_rhs_.assign(m, 0.0);
    if (m > 0) {
        klu_->symbolic = klu_l_analyze(std::int64_t(m), s_col_ptr_.data(), s_row_.data(), &klu_->common);
        if (!klu_->symbolic) throw std::runtime_error("BlockElimination: KLU cannot analyse the reduced system");
    }
}

BlockElimination::~BlockElimination() = default;

int BlockElimination::factor(const double* values) {
    return factor_impl([values](std::int64_t pos) { return values[pos]; }, 0.0, false);
}

void BlockElimination::map_positions(const std::int64_t* source) {
    auto map = [&](const std::vector<std::int64_t>& pos, std::vector<std::int64_t>& out) {
        out.resize(pos.size());
        for (std::size_t i = 0; i < pos.size(); ++i) out[i] = pos[i] >= 0 ? source[pos[i]] : -1;
    };
    map(a_pos_, a_jpos_);
    map(b_pos_, b_jpos_);
    map(d_pos_, d_jpos_);
    std::vector<std::pair<std::int64_t, std::int32_t>> c;
    c.reserve(cr_pos_.size());
    for (std::size_t e = 0; e < cr_pos_.size(); ++e) c.emplace_back(source[cr_pos_[e]], std::int32_t(e));
    std::sort(c.begin(), c.end());
    cg_jpos_.resize(c.size()), cg_dst_.resize(c.size());
    for (std::size_t g = 0; g < c.size(); ++g) cg_jpos_[g] = c[g].first, cg_dst_[g] = c[g].second;
    mapped_source_ = source;
}

int BlockElimination::factor(const double* jac, const std::int64_t* source, double gamma) {
    if (source != mapped_source_) map_positions(source);
    return factor_impl([=](std::int64_t jpos) { return -gamma * jac[jpos]; }, 1.0, true);
}

template <class Value>
int BlockElimination::factor_impl(Value&& value, double diagonal, bool fused) {
    const std::vector<std::int64_t>& a_pos = fused ? a_jpos_ : a_pos_;
    const std::vector<std::int64_t>& b_pos = fused ? b_jpos_ : b_pos_;
    const std::vector<std::int64_t>& d_pos = fused ? d_jpos_ : d_pos_;
    const auto nb = std::int64_t(block_count());
    std::atomic<int> singular{0};
    // Every block: A^-1 and W = A^-1 B.
    parallel_for(pool_, nb, kParallelBlocks, [&](std::int64_t k) {
        const std::int64_t m = blk_off_[k + 1] - blk_off_[k];
        double a[16 * 16];
        double* inv = inv_.data() + a_off_[k];
        const std::int64_t* pos = a_pos.data() + a_off_[k];
        for (std::int64_t i = 0; i < m * m; ++i) a[i] = pos[i] >= 0 ? value(pos[i]) : 0.0;
        for (std::int64_t i = 0; i < m; ++i) a[i * m + i] += diagonal;
        if (!invert(a, inv, m)) {
            singular.store(1, std::memory_order_relaxed);
            return;
        }
        const std::int64_t ncols = bcol_off_[k + 1] - bcol_off_[k];
        if (ncols == 0) return;
        double bl[16 * 16];
        std::vector<double> bh;  // a block that sees many interface columns
        if (m * ncols > 16 * 16) bh.resize(std::size_t(m * ncols));
        double* b = bh.empty() ? bl : bh.data();
        std::fill(b, b + m * ncols, 0.0);
        for (auto e = b_off_[k]; e < b_off_[k + 1]; ++e)
            b[b_row_[std::size_t(e)] * ncols + b_col_[std::size_t(e)]] += value(b_pos[std::size_t(e)]);
        double* w = w_.data() + w_off_[k];
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t c = 0; c < ncols; ++c) {
                double v = 0.0;
                for (std::int64_t j = 0; j < m; ++j) v += inv[i * m + j] * b[j * ncols + c];
                w[i * ncols + c] = v;
            }
    });
    if (singular.load()) return 1;
    if (iface_.empty()) return 0;
    if (fused)
        parallel_for(pool_, std::int64_t(cg_dst_.size()), kParallelTerms,
                     [&](std::int64_t g) { cr_val_[std::size_t(cg_dst_[std::size_t(g)])] = value(cg_jpos_[std::size_t(g)]); });
    else
        parallel_for(pool_, std::int64_t(cr_val_.size()), kParallelTerms,
                     [&](std::int64_t e) { cr_val_[std::size_t(e)] = value(cr_pos_[std::size_t(e)]); });
    // S = D - C W, each entry's terms in fixed chunks.
    parallel_for(pool_, std::int64_t(f_chunks_.owner.size()), 2, [&](std::int64_t i) {
        f_chunks_.partial[std::size_t(i)] =
            sum4(f_chunks_.begin[std::size_t(i)], f_chunks_.begin[std::size_t(i) + 1], [&](std::int64_t t) {
                return cr_val_[std::size_t(ft_c_[std::size_t(t)])] * w_[std::size_t(ft_w_[std::size_t(t)])];
            });
    });
    std::fill(s_val_.begin(), s_val_.end(), 0.0);
    for (std::size_t e = 0; e < d_pos_.size(); ++e)
        s_val_[std::size_t(d_slot_[e])] += value(d_pos[e]) + (d_diag_[e] ? diagonal : 0.0);
    for (std::size_t i = 0; i < f_chunks_.owner.size(); ++i) s_val_[std::size_t(f_chunks_.owner[i])] -= f_chunks_.partial[i];

    Klu& K = *klu_;
    // A numeric refactorisation keeps the pivots of the last full one; if they have become
    // poor (a tiny reciprocal condition estimate), factor afresh.
    if (K.numeric) {
        if (klu_l_refactor(s_col_ptr_.data(), s_row_.data(), s_val_.data(), K.symbolic, K.numeric, &K.common) &&
            klu_l_rcond(K.symbolic, K.numeric, &K.common) && K.common.rcond > 1e-12)
            return 0;
        klu_l_free_numeric(&K.numeric, &K.common);
    }
    K.numeric = klu_l_factor(s_col_ptr_.data(), s_row_.data(), s_val_.data(), K.symbolic, &K.common);
    return K.numeric ? 0 : 1;
}

void BlockElimination::solve(double* x) const {
    const auto nb = std::int64_t(block_count());
    // y = A^-1 b on every block.
    parallel_for(pool_, nb, kParallelBlocks, [&](std::int64_t k) {
        const std::int64_t m = blk_off_[k + 1] - blk_off_[k];
        const std::int32_t* st = blk_states_.data() + blk_off_[k];
        const double* inv = inv_.data() + a_off_[k];
        if (m == 1) {
            x[st[0]] *= inv[0];
            return;
        }
        double b[16];
        for (std::int64_t i = 0; i < m; ++i) b[i] = x[st[i]];
        for (std::int64_t i = 0; i < m; ++i) {
            double v = 0.0;
            for (std::int64_t j = 0; j < m; ++j) v += inv[i * m + j] * b[j];
            x[st[i]] = v;
        }
    });
    if (iface_.empty()) return;
    // b_D - C y, each row's terms in fixed chunks; then S x_D = that.
    parallel_for(pool_, std::int64_t(c_chunks_.owner.size()), 2, [&](std::int64_t i) {
        c_chunks_.partial[std::size_t(i)] =
            sum4(c_chunks_.begin[std::size_t(i)], c_chunks_.begin[std::size_t(i) + 1],
                 [&](std::int64_t e) { return cr_val_[std::size_t(e)] * x[cr_state_[std::size_t(e)]]; });
    });
    for (std::size_t i = 0; i < iface_.size(); ++i) s_rhs_[i] = x[iface_[i]];
    for (std::size_t i = 0; i < c_chunks_.owner.size(); ++i) s_rhs_[std::size_t(c_chunks_.owner[i])] -= c_chunks_.partial[i];
    klu_l_solve(klu_->symbolic, klu_->numeric, std::int64_t(iface_.size()), 1, s_rhs_.data(), &klu_->common);
    for (std::size_t i = 0; i < iface_.size(); ++i) x[iface_[i]] = s_rhs_[i];
    // x_A = y - W x_D.
    parallel_for(pool_, nb, kParallelBlocks, [&](std::int64_t k) {
        const std::int64_t ncols = bcol_off_[k + 1] - bcol_off_[k];
        if (ncols == 0) return;
        const std::int64_t m = blk_off_[k + 1] - blk_off_[k];
        const std::int32_t* st = blk_states_.data() + blk_off_[k];
        const double* w = w_.data() + w_off_[k];
        const std::int32_t* bc = bcol_.data() + bcol_off_[k];
        for (std::int64_t i = 0; i < m; ++i) {
            double v = 0.0;
            for (std::int64_t b = 0; b < ncols; ++b) v += w[i * ncols + b] * s_rhs_[std::size_t(bc[b])];
            x[st[i]] -= v;
        }
    });
}

}  // namespace dctwin
