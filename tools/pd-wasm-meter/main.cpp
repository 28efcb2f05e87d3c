// pd-wasm-meter: the fuel metering pass as a stand-alone tool (what `pd wasm meter` runs).
//
//   pd-wasm-meter IN.wasm OUT.wasm [--fuel N]
//
// Writes IN, metered, to OUT (IN and OUT may be the same file: IN is read in full first).
// N is the budget the metered module starts with; by default INT64_MAX, so that the metered
// module run anywhere else behaves as the original. Exit status: 0 done, 2 bad usage or bad
// input (unreadable file, not a valid module, already metered), 1 OUT could not be written.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "pd/wasm/fuel_meter.h"

namespace {

constexpr int exit_bad_input = 2;
constexpr int exit_io_error = 1;
// A module file larger than this is refused before anything is allocated for it.
constexpr uint64_t input_bytes_max = uint64_t(1) << 30;

void usage() {
  std::fprintf(stderr,
               "usage: pd-wasm-meter IN.wasm OUT.wasm [--fuel N]\n"
               "  meters IN (a WebAssembly binary) into OUT: every basic block charges the\n"
               "  exported mutable i64 global \"pd_fuel\", which traps negative when spent.\n"
               "  --fuel N  budget the module starts with, 0..%lld (default: the largest)\n",
               (long long)INT64_MAX);
}

bool parse_fuel(const char* text, uint64_t& out) {
  if (text[0] < '0' || text[0] > '9') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0' || errno == ERANGE || value > uint64_t(INT64_MAX)) return false;
  out = value;
  return true;
}

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    std::fprintf(stderr, "pd-wasm-meter: cannot open %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  std::streamoff size = in.tellg();
  if (size < 0 || uint64_t(size) > input_bytes_max) {
    std::fprintf(stderr, "pd-wasm-meter: %s: size unknown or above %llu bytes\n", path.c_str(),
                 (unsigned long long)input_bytes_max);
    return false;
  }
  out.resize(size_t(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(out.data()), size)) {
    std::fprintf(stderr, "pd-wasm-meter: cannot read %s\n", path.c_str());
    return false;
  }
  return true;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (out) out.close();
  if (!out) {
    std::fprintf(stderr, "pd-wasm-meter: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  pd::MeterOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* fuel_text = nullptr;
    if (arg == "--fuel") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pd-wasm-meter: --fuel needs a value\n");
        return exit_bad_input;
      }
      fuel_text = argv[++i];
    } else if (arg.rfind("--fuel=", 0) == 0) {
      fuel_text = argv[i] + std::strlen("--fuel=");
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "pd-wasm-meter: unknown option %s\n", arg.c_str());
      usage();
      return exit_bad_input;
    } else {
      paths.push_back(arg);
      continue;
    }
    if (!parse_fuel(fuel_text, options.initial_fuel)) {
      std::fprintf(stderr, "pd-wasm-meter: --fuel wants an integer in 0..%lld, not '%s'\n",
                   (long long)INT64_MAX, fuel_text);
      return exit_bad_input;
    }
  }
  if (paths.size() != 2) {
    usage();
    return exit_bad_input;
  }

  std::vector<uint8_t> input;
  if (!read_file(paths[0], input)) return exit_bad_input;
  auto metered = pd::meter_module(input, options);
  if (!metered) {
    std::fprintf(stderr, "pd-wasm-meter: %s: %s\n", paths[0].c_str(),
                 metered.error().message.c_str());
    return exit_bad_input;
  }
  if (!write_file(paths[1], *metered)) return exit_io_error;
  return 0;
}
