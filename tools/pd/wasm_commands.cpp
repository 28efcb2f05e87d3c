#include "wasm_commands.h"

#include "hex.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pd/core/fnv.h"
#include "pd/plugin/wasm_actor.h"
#include "pd/reactor/sim_reactor.h"
#include "pd/runtime/engine.h"
#include "pd/wasm/aot_host.h"
#include "pd/wasm/fuel_meter.h"
#include "pd/wasm/wasm_backend.h"

namespace pd::cli {

namespace {

// A module or payload file larger than this is refused before anything is allocated for it.
constexpr uint64_t kInputBytesMax = uint64_t(256) << 20;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "pd wasm: %s\n", what.c_str());
  std::exit(2);
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("cannot open " + path + ": " + std::strerror(errno));
  std::streamoff size = in.tellg();
  if (size < 0 || uint64_t(size) > kInputBytesMax)
    fail(path + ": size unknown or above " + std::to_string(kInputBytesMax) + " bytes");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) fail("cannot read " + path);
  return bytes;
}

std::string hex128(u128 v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", (unsigned long long)uint64_t(v >> 64),
                (unsigned long long)uint64_t(v));
  return buf;
}

uint64_t parse_tag(const std::string& text, const std::string& whole) {
  errno = 0;
  char* end = nullptr;
  bool is_hex = text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, is_hex ? 16 : 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || text[0] == '-')
    fail("'" + whole + "': the type tag must be a decimal or 0x-hex 64-bit number");
  return v;
}

std::vector<uint8_t> parse_hex(const std::string& text, const std::string& whole) {
  if (text.size() % 2 != 0) fail("'" + whole + "': the payload hex has an odd number of digits");
  std::vector<uint8_t> out;
  auto digit = [&](char c) -> int {
    int d = hex_digit(c);
    if (d < 0) fail("'" + whole + "': '" + std::string(1, c) + "' is not a hex digit");
    return d;
  };
  for (size_t i = 0; i < text.size(); i += 2)
    out.push_back(uint8_t(digit(text[i]) * 16 + digit(text[i + 1])));
  return out;
}

void emit(const nlohmann::ordered_json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

int wasm_compile(const std::string& in, const std::string& out) {
  std::vector<uint8_t> bytes = read_file(in);
  auto started = std::chrono::steady_clock::now();
  auto so = aot_compile_to_cache(bytes);
  if (!so) fail(in + ": " + to_string(so.error()));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!out.empty()) {
    std::error_code ec;
    std::filesystem::copy_file(*so, out, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) fail("cannot write " + out + ": " + ec.message());
  }
  std::printf("%s: compiled (%.3f s; cached as %s)%s\n", in.c_str(), seconds, so->c_str(),
              out.empty() ? "" : (", copied to " + out).c_str());
  return 0;
}

int wasm_meter(const std::string& in, const std::string& out, std::optional<uint64_t> fuel) {
  MeterOptions options;
  if (fuel) {
    if (*fuel > uint64_t(INT64_MAX)) fail("--fuel must be at most " + std::to_string(INT64_MAX));
    options.initial_fuel = *fuel;
  }
  auto metered = meter_module(read_file(in), options);
  if (!metered) fail(in + ": " + metered.error().message);
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  if (o) o.write(reinterpret_cast<const char*>(metered->data()), std::streamsize(metered->size()));
  if (o) o.close();
  if (!o) {
    std::fprintf(stderr, "pd wasm meter: cannot write %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}

int wasm_run(const WasmRunArgs& args) {
  RestartPolicy restart;
  if (args.restart == "permanent")
    restart = RestartPolicy::Permanent;
  else if (args.restart == "transient")
    restart = RestartPolicy::Transient;
  else if (args.restart == "temporary")
    restart = RestartPolicy::Temporary;
  else
    fail("--restart must be permanent, transient or temporary, not '" + args.restart + "'");

  // The messages first: a bad argument is reported before anything runs.
  struct Message {
    uint64_t tag;
    std::vector<uint8_t> payload;
  };
  std::vector<Message> messages;
  for (const auto& s : args.sends) {
    auto colon = s.spec.find(':');
    if (colon == std::string::npos)
      fail("'" + s.spec + "': expected TYPE_TAG:" + (s.is_file ? "PATH" : "HEX"));
    uint64_t tag = parse_tag(s.spec.substr(0, colon), s.spec);
    std::string rest = s.spec.substr(colon + 1);
    messages.push_back({tag, s.is_file ? read_file(rest) : parse_hex(rest, s.spec)});
  }

  std::vector<uint8_t> bytes = read_file(args.guest);
  auto backend = parse_wasm_backend(args.backend);
  if (!backend) fail("--backend: " + backend.error());
  WasmActorConfig config;
  if (args.fuel) {
    if (*args.fuel == 0 || *args.fuel > uint64_t(INT64_MAX))
      fail("--fuel must be between 1 and " + std::to_string(INT64_MAX));
    auto metered = meter_module(bytes, MeterOptions{});
    if (metered)
      bytes = std::move(*metered);
    else if (metered.error().kind != MeterError::Kind::AlreadyMetered)
      fail(args.guest + ": " + metered.error().message);  // already metered: used as it is
    config.fuel_per_call = *args.fuel;
  }
  auto compiled = compile_on(*backend, bytes);
  if (!compiled) fail(args.guest + ": " + to_string(compiled.error()));
  if (*backend == WasmBackend::Auto)
    std::fprintf(stderr, "pd wasm run: %s\n", compiled->note.c_str());
  if (auto what = check_guest_abi(*compiled->module))
    fail(args.guest + ": not a Palladium guest: " + *what);
  config.host = compiled->host;
  config.module = compiled->module;
  if (args.max_pages) config.limits.max_memory_pages = *args.max_pages;
  config.send_to = [](const Envelope& e, std::span<const uint8_t> payload) {
    emit({{"event", "sent"},
          {"destination", hex128(e.destination.value())},
          {"source", hex128(e.source.value())},
          {"type_tag", e.type_tag},
          {"payload_hex", to_hex(payload)}});
    return kPdSendOk;
  };

  EngineConfig engine_config;
  engine_config.log = [](const LogRecord& r) {
    emit({{"event", "log"}, {"level", log_level_name(r.level)}, {"message", r.message}});
  };
  Engine engine(engine_config, std::make_unique<SimReactor>(0));
  std::optional<ActorError> failure;
  engine.set_event_listener([&](const EngineEvent& e) {
    if (e.path != "/user/guest") return;
    switch (e.kind) {
      case EngineEvent::Kind::Started: emit({{"event", "started"}}); break;
      case EngineEvent::Kind::Restarted: emit({{"event", "restarted"}}); break;
      case EngineEvent::Kind::Failed: failure = e.reason.error; break;
      case EngineEvent::Kind::Stopped:
        emit({{"event", "stopped"}, {"reason", to_string(e.reason)}});
        break;
      default: break;
    }
  });
  ChildSpec spec("guest", wasm_actor_factory(config));
  spec.restart = restart;
  auto guest = engine.spawn(std::move(spec));
  if (!guest) fail("spawning the guest failed: " + std::string(to_string(guest.error())));
  engine.run_until_idle();
  // Each message comes from this harness address, so a guest can reply to its sender (the
  // reply becomes a "sent" event like any other).
  const AddrHash harness(fnv1a64("/harness"), 1);
  for (size_t i = 0; i < messages.size(); ++i) {
    failure.reset();
    Envelope e = Envelope::make(harness, guest->path_address(), messages[i].tag,
                                uint32_t(messages[i].payload.size()));
    SendResult sent = engine.send_raw(e, MessagePayload::serialized(messages[i].payload));
    engine.run_until_idle();
    nlohmann::ordered_json j = {{"event", "delivered"}, {"index", i}};
    if (!sent) {
      j["result"] = "error";
      j["error"] = "Handler";
      j["detail"] = std::string("not delivered: ") + to_string(sent.error());
    } else if (failure) {
      j["result"] = "error";
      j["error"] = to_string(failure->kind);
      j["detail"] = failure->detail;
    } else {
      j["result"] = "ok";
    }
    emit(j);
  }
  if (engine.lookup("/user/guest")) {
    (void)engine.stop_actor(guest->path_address());
    engine.run_until_idle();
  }
  engine.shutdown();
  engine.run();
  return 0;
}

}  // namespace pd::cli
