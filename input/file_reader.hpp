#pragma once
// The one way dctwin reads an input file (site, weather, trace, sweep file, sweep.json,
// journal): only a regular file, opened without blocking (a FIFO would wait for a writer
// forever) and read to at most a cap, so that /dev/zero or a huge file costs nothing.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace dctwin {

/// Why a file could not be read. what() is a detail without the path, e.g.
/// "cannot read file: not a regular file (a FIFO)"; callers add place and key path.
class FileReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The whole content of the regular file `path`, at most `cap` bytes. `what` names the file's
/// role in the too-large message ("a weather file"). Throws FileReadError when it cannot be
/// opened, is not a regular file (a directory, FIFO, device or socket), is larger than `cap`
/// (checked on the size and again while reading, reading at most cap + 1 bytes) or a read
/// fails.
std::string read_input_file(const std::string& path, std::size_t cap, const std::string& what);

}  // namespace dctwin
