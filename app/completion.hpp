#pragma once
// `dctwin completion`: a bash completion script made from the command line's own definition
// (CLI11), so that it cannot drift from the options it completes.

#include <string>

#include <CLI/CLI.hpp>

namespace dctwin::app {

/// The script: subcommands after `dctwin`; after a subcommand its options, and files where
/// a value or a positional argument is a path (*.yaml for sites, *.h5 for results).
std::string bash_completion(const CLI::App& app);

}  // namespace dctwin::app
