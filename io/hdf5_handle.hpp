#pragma once
// Small helpers over the plain HDF5 C API, private to viz/: an owning hid_t handle that
// closes with the right H5*close, a guard that silences HDF5's automatic error printing,
// and the text of the HDF5 error stack for exception messages.

#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

namespace dctwin::h5 {

/// Owns one hid_t and closes it with the function given (H5Fclose, H5Dclose, ...).
class Handle {
public:
    using Closer = herr_t (*)(hid_t);

    Handle() = default;
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    ~Handle() { reset(); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, -1);
            closer_ = other.closer_;
        }
        return *this;
    }

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    /// Closes the id, ignoring a failure (for destructors and unwinding).
    void reset() {
        if (id_ >= 0 && closer_ != nullptr) closer_(id_);
        id_ = -1;
    }
    /// Closes the id and returns the closer's status (for the checked close of a file).
    herr_t close() {
        herr_t status = 0;
        if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
        id_ = -1;
        return status;
    }

private:
    hid_t id_ = -1;
    Closer closer_ = nullptr;
};

/// While alive, HDF5 prints nothing to stderr on errors (the previous handler is restored).
class QuietErrors {
public:
    QuietErrors() {
        saved_ = H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0;
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~QuietErrors() {
        if (saved_) H5Eset_auto2(H5E_DEFAULT, func_, data_);
    }
    QuietErrors(const QuietErrors&) = delete;
    QuietErrors& operator=(const QuietErrors&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
    bool saved_ = false;
};

/// The descriptions on the current HDF5 error stack, most specific first (at most two,
/// duplicates dropped, on one line), joined by "; ". Clears the stack. Call it right after
/// the failure, before any other HDF5 call.
inline std::string error_stack() {
    std::vector<std::string> descriptions;
    auto walk = [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
        auto* list = static_cast<std::vector<std::string>*>(data);
        if (error != nullptr && error->desc != nullptr && error->desc[0] != '\0' && list->size() < 2) {
            std::string d = error->desc;
            for (char& ch : d)
                if (ch == '\n' || ch == '\r') ch = ' ';
            bool seen = false;
            for (const auto& s : *list) seen = seen || s == d;
            if (!seen) list->push_back(std::move(d));
        }
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &descriptions);
    H5Eclear2(H5E_DEFAULT);
    std::string text;
    for (const auto& d : descriptions) {
        if (!text.empty()) text += "; ";
        text += d;
    }
    return text;
}

/// File-access properties for reading a results file a run is writing: without HDF5's own
/// file lock (the writer takes none; its OFD lock, viz/results.cpp, keeps a second writer out).
inline hid_t reader_fapl() {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    if (fapl >= 0) H5Pset_file_locking(fapl, false, true);
#endif
    return fapl;
}

}  // namespace dctwin::h5
