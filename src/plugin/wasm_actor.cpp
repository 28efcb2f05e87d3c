#include "pd/plugin/wasm_actor.h"

#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "plugin_send.h"

namespace pd {

namespace {

constexpr WasmValType I32 = WasmValType::I32;

struct ExportRule {
  const char* name;
  bool required;
  WasmFuncType type;
};

const std::vector<ExportRule>& abi_exports() {
  static const std::vector<ExportRule> rules = {
      {"pd_actor_on_message", true, {{I32, I32, I32, I32, I32}, {I32}}},
      {"pd_actor_create", false, {{}, {I32}}},
      {"pd_actor_on_start", false, {{I32, I32}, {I32}}},
      {"pd_actor_on_stop", false, {{I32, I32, I32}, {}}},
      {"pd_alloc", false, {{I32}, {I32}}},
      {"pd_abi_version", false, {{}, {I32}}},
  };
  return rules;
}

}  // namespace

std::optional<std::string> check_guest_abi(const WasmModule& module) {
  const WasmExport* memory = module.find_export("memory");
  if (memory == nullptr || memory->type.kind != WasmExternKind::Memory)
    return std::string("the guest exports no memory named \"memory\"");
  for (const ExportRule& rule : abi_exports()) {
    const WasmExport* e = module.find_export(rule.name);
    if (e == nullptr) {
      if (rule.required)
        return std::string("the guest does not export ") + rule.name + " " +
               to_string(WasmExternType{WasmExternKind::Func, rule.type, I32, false});
      continue;
    }
    WasmExternType want{WasmExternKind::Func, rule.type, I32, false};
    if (e->type.kind != WasmExternKind::Func || e->type.func != rule.type)
      return std::string("the guest exports ") + rule.name + " as " + to_string(e->type) +
             ", the ABI wants " + to_string(want);
  }
  return std::nullopt;
}

WasmActor::WasmActor(WasmActorConfig config) : config_(std::move(config)) {
  // Resolved once: every call after goes by index (the ABI check in on_start makes sure the
  // required ones exist before any is used).
  static constexpr const char* kNames[] = {"pd_actor_create",   "pd_abi_version",
                                           "pd_actor_on_start", "pd_actor_on_message",
                                           "pd_actor_on_stop",  "pd_alloc"};
  for (size_t i = 0; i < exports_.size(); ++i)
    exports_[i] =
        config_.module ? config_.module->export_index(kNames[i]).value_or(kNoExport) : kNoExport;
}
WasmActor::~WasmActor() = default;

ActorError WasmActor::map_error(const char* what, const WasmError& e) const {
  std::string detail = std::string(what) + ": " + e.message;
  switch (e.kind) {
    case WasmError::Kind::FuelExhausted: return ActorError::resource_exhausted(detail);
    case WasmError::Kind::Trap: return ActorError::wasm_trap(detail);
    default: return ActorError::handler(detail);
  }
}

Expected<void, WasmError> WasmActor::refuel() {
  if (config_.fuel_per_call == 0) return {};
  return instance_->set_fuel(config_.fuel_per_call);
}

Expected<int32_t, WasmError> WasmActor::call(ActorContext& ctx, Export which,
                                             std::initializer_list<int32_t> args) {
  current_ = &ctx;
  auto r = instance_->call_i32(exports_[size_t(which)],
                               std::span<const int32_t>(args.begin(), args.size()));
  current_ = nullptr;
  last_call_fuel_ = metered_ ? instance_->fuel_consumed() : 0;
  return r;
}

int32_t WasmActor::send_from_guest(std::span<const uint8_t> envelope,
                                   std::span<const uint8_t> payload) {
  if (current_ == nullptr) return kPdSendRefused;  // outside a lifecycle call: nobody to send as
  if (envelope.size() != Envelope::kSize) return kPdSendRefused;
  Envelope e = Envelope::read_from(envelope.data());
  if (!config_.send_to) return detail::plugin_send(*current_, config_.policy, e, payload);
  if (int32_t refused = detail::check_plugin_envelope(*current_, config_.policy, e, payload.size()))
    return refused;
  return config_.send_to(e, payload);
}

WasmImports WasmActor::make_imports() {
  WasmImports imports;
  imports.pd_send = [this](std::span<const uint8_t> env, std::span<const uint8_t> payload) {
    return send_from_guest(env, payload);
  };
  imports.pd_now_micros = [this]() -> int64_t { return current_ ? to_micros(current_->now()) : 0; };
  imports.pd_log = [this](int32_t level, std::span<const uint8_t> msg) {
    if (current_)
      current_->log(level, std::string_view(reinterpret_cast<const char*>(msg.data()), msg.size()));
  };
  return imports;
}

HandlerResult WasmActor::on_start(ActorContext& ctx) {
  if (auto what = check_guest_abi(*config_.module))
    return Unexpected{ActorError::init("not a Palladium guest: " + *what)};
  if (config_.fuel_per_call > 0 && !config_.module->is_metered())
    return Unexpected{ActorError::init(
        "fuel_per_call is set but the module is not metered (run it through pd wasm meter)")};
  auto inst = config_.host->instantiate(config_.module, make_imports(), config_.limits);
  if (!inst)
    return Unexpected{ActorError::init("instantiation failed: " + to_string(inst.error()))};
  instance_ = std::move(inst).value();
  metered_ = config_.module->is_metered();
  // One budget covers the whole lifecycle step: pd_abi_version, pd_actor_create and
  // pd_actor_on_start.
  if (auto r = refuel(); !r) return Unexpected{map_error("setting fuel", r.error())};
  if (has(Export::AbiVersion)) {
    auto r = call(ctx, Export::AbiVersion, {});
    if (!r) return Unexpected{map_error("pd_abi_version", r.error())};
    if (int32_t v = *r; v != kGuestAbiVersion)
      return Unexpected{ActorError::init("the guest speaks ABI version " + std::to_string(v) +
                                         "; this host speaks version " +
                                         std::to_string(kGuestAbiVersion))};
  }
  if (has(Export::Create)) {
    auto r = call(ctx, Export::Create, {});
    if (!r) return Unexpected{map_error("pd_actor_create", r.error())};
    state_ = *r;
  }
  if (has(Export::OnStart)) {
    auto r = call(ctx, Export::OnStart, {state_, 0});
    if (!r) return Unexpected{map_error("pd_actor_on_start", r.error())};
    if (int32_t code = *r; code != 0)
      return Unexpected{ActorError::init("pd_actor_on_start returned " + std::to_string(code))};
  }
  return {};
}

Expected<std::pair<uint32_t, uint32_t>, ActorError> WasmActor::place_message(
    ActorContext& ctx, const Envelope& e, std::span<const uint8_t> payload) {
  uint64_t need = Envelope::kSize + uint64_t(payload.size());
  uint64_t base = 0;
  if (has(Export::Alloc)) {
    if (need > uint64_t(INT32_MAX))
      return Unexpected{ActorError::handler("a payload of " + std::to_string(payload.size()) +
                                            " bytes is larger than a wasm32 guest can address")};
    auto r = call(ctx, Export::Alloc, {int32_t(need)});
    if (!r) return Unexpected{map_error("pd_alloc", r.error())};
    base = uint32_t(*r);
    if (base == 0 || base + need > instance_->memory_size())
      return Unexpected{
          ActorError::handler("pd_alloc(" + std::to_string(need) + ") returned " +
                              std::to_string(base) + ", which is not a buffer inside the guest's " +
                              std::to_string(instance_->memory_size()) + " bytes of memory")};
  } else if (need > config_.legacy_window_end) {
    return Unexpected{ActorError::handler(
        "a payload of " + std::to_string(payload.size()) + " bytes does not fit the legacy " +
        "window (envelope at 0, payload at 80, up to offset " +
        std::to_string(config_.legacy_window_end) + ", where the guest's data begins); " +
        "export pd_alloc(i32) -> i32 from the guest to receive larger payloads")};
  }
  // In place: one bounds check, the envelope encoded straight into guest memory.
  std::span<uint8_t> memory = instance_->memory_view();
  if (base > memory.size() || need > memory.size() - base) {
    return Unexpected{ActorError::handler("writing the message: " + std::to_string(need) +
                                          " bytes at offset " + std::to_string(base) +
                                          " are out of bounds of the guest's memory (" +
                                          std::to_string(memory.size()) + " bytes)")};
  }
  // payload_len as the guest will see it: patched in guest memory after the copy (patching a
  // copy of the envelope first made the copy's reload stall on the store).
  e.write_to(memory.data() + base);
  const uint32_t len = uint32_t(payload.size());
  uint8_t* wire_len = memory.data() + base + offsetof(Envelope, payload_len);  // little-endian
  wire_len[0] = uint8_t(len);
  wire_len[1] = uint8_t(len >> 8);
  wire_len[2] = uint8_t(len >> 16);
  wire_len[3] = uint8_t(len >> 24);
  if (!payload.empty())
    std::memcpy(memory.data() + base + Envelope::kSize, payload.data(), payload.size());
  return std::pair<uint32_t, uint32_t>{uint32_t(base), uint32_t(base + Envelope::kSize)};
}

HandlerResult WasmActor::on_message(ActorContext& ctx, const Envelope& envelope,
                                    MessagePayload& payload) {
  if (!instance_) return Unexpected{ActorError::init("the guest was never instantiated")};
  if (payload.is_local())
    return Unexpected{ActorError::handler(
        "a local payload of type " + std::string(payload.local_type_name()) +
        " cannot reach a WASM guest: send serialized bytes (MessagePayload::serialized)")};
  std::span<const uint8_t> bytes = payload.bytes();
  // One budget per message, pd_alloc included.
  if (auto r = refuel(); !r) return Unexpected{map_error("setting fuel", r.error())};
  auto placed = place_message(ctx, envelope, bytes);
  if (!placed) return Unexpected{placed.error()};
  auto [env_ptr, payload_ptr] = *placed;
  auto r = call(ctx, Export::OnMessage,
                {state_, 0, int32_t(env_ptr), bytes.empty() ? 0 : int32_t(payload_ptr),
                 int32_t(bytes.size())});
  if (!r) return Unexpected{map_error("pd_actor_on_message", r.error())};
  if (int32_t code = *r; code != 0)
    return Unexpected{ActorError::handler("pd_actor_on_message returned " + std::to_string(code))};
  return {};
}

void WasmActor::on_stop(ActorContext& ctx, const StopReason& reason) {
  last_call_fuel_ = 0;
  if (!instance_ || !has(Export::OnStop)) return;
  if (auto f = refuel(); !f) {
    ctx.log(3, "pd_actor_on_stop skipped: " + to_string(f.error()));
    return;
  }
  auto r = call(ctx, Export::OnStop, {state_, 0, reason.abi_code()});
  if (!r) ctx.log(3, "pd_actor_on_stop failed: " + to_string(r.error()));
}

ActorFactory wasm_actor_factory(WasmActorConfig config) {
  if (!config.host || !config.module)
    throw std::invalid_argument("wasm_actor_factory: the config needs a host and a module");
  return [config] { return std::make_unique<WasmActor>(config); };
}

}  // namespace pd
