// WasmActor: an Actor whose lifecycle is a WebAssembly module's exports (the guest ABI of
// ARCHITECTURE.md). Behaviour starts from the reference's wasm_actor.rs, with its weak points
// fixed:
//   - pd_actor_create is called (once per incarnation, before on_start) and its state handle
//     is passed to every later call;
//   - pd_send sends at once, from inside the guest's call, and returns the engine's verdict to
//     the guest (so messages sent from on_start and on_stop are delivered like any other);
//   - pd_now_micros is engine time through the Reactor (virtual under simulation); pd_log goes
//     to the engine's log tagged with the actor's path;
//   - a local (unserialized) payload is refused with an error that says so;
//   - a guest exporting pd_alloc(i32) -> i32 receives the envelope and payload in a buffer it
//     allocated; without it, the envelope is written at 0 and the payload at 80, and a payload
//     that would reach past `legacy_window_end` (the guest's data, 1024 by default) is refused;
//   - the envelope's source is always this actor's address, whatever the guest wrote;
//   - destinations outside the NamespacePolicy are refused (SendError::PolicyViolation);
//   - memory pages, call depth and fuel per call are limited.
// A bad pointer or length from the guest gets a negative code and sends nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "pd/actor/actor.h"
#include "pd/actor/actor_context.h"
#include "pd/plugin/namespace_policy.h"
#include "pd/wasm/wasm_host.h"

namespace pd {

// The guest ABI this host speaks. A guest exporting pd_abi_version() -> i32 is refused (Init)
// when it answers another version.
inline constexpr int32_t kGuestAbiVersion = 1;

// Codes pd_send returns to the guest. 0 is success; the host layer's kPdSendRefused (-1, an
// envelope length other than 80) and kPdSendOutOfBounds (-2) come first; a send the engine
// refused is -16 - its SendError's value (MailboxFull -16, ActorStopped -18, ...).
inline constexpr int32_t kPdSendErrorBase = -16;
inline constexpr int32_t pd_send_code(SendError e) {
  return kPdSendErrorBase - int32_t(e);
}

struct WasmActorConfig {
  std::shared_ptr<const WasmHost> host;
  std::shared_ptr<const WasmModule> module;
  // Fuel granted before each call into the guest (on_start, each message, on_stop); 0 runs
  // unmetered. Non-zero needs a metered module (pd wasm meter).
  uint64_t fuel_per_call = 0;
  WasmLimits limits;
  NamespacePolicy policy;  // empty: any destination
  // Without pd_alloc, envelope + payload must end by this offset (__global_base, where
  // clang/wasm-ld put the guest's static data by default).
  uint32_t legacy_window_end = 1024;
  // Where pd_send's messages go once checked (length, bounds, policy; source set to this
  // actor, payload_len to the payload's size). Empty: ctx.send_raw, the engine's verdict
  // becoming the guest's code. Set: this function's result is the guest's code (`pd wasm run`
  // records sends instead of routing them).
  std::function<int32_t(const Envelope&, std::span<const uint8_t> payload)> send_to;
};

// Checks the module against the guest ABI: memory exported; pd_actor_on_message with
// (i32 state, i32 ctx, i32 env_ptr, i32 payload_ptr, i32 payload_len) -> i32; the optional
// exports (pd_actor_create, pd_actor_on_start, pd_actor_on_stop, pd_alloc, pd_abi_version)
// with their exact signatures. nullopt when it conforms, else what is wrong.
std::optional<std::string> check_guest_abi(const WasmModule& module);

class WasmActor final : public Actor {
 public:
  // The config must hold a module that passed check_guest_abi (the factory checks it).
  explicit WasmActor(WasmActorConfig config);
  ~WasmActor() override;

  HandlerResult on_start(ActorContext& ctx) override;
  HandlerResult on_message(ActorContext& ctx, const Envelope& envelope,
                           MessagePayload& payload) override;
  void on_stop(ActorContext& ctx, const StopReason& reason) override;

  // Fuel the last lifecycle step consumed (0 unmetered).
  uint64_t last_call_fuel() const { return last_call_fuel_; }

 private:
  WasmImports make_imports();
  Expected<void, WasmError> refuel();
  enum class Export : uint8_t { Create, AbiVersion, OnStart, OnMessage, OnStop, Alloc, Count };
  static constexpr size_t kNoExport = SIZE_MAX;
  bool has(Export e) const { return exports_[size_t(e)] != kNoExport; }
  // Calls an ABI export; its i32 result, or 0 for one that returns nothing.
  Expected<int32_t, WasmError> call(ActorContext& ctx, Export which,
                                    std::initializer_list<int32_t> args);
  int32_t send_from_guest(std::span<const uint8_t> envelope, std::span<const uint8_t> payload);
  ActorError map_error(const char* what, const WasmError& e) const;
  Expected<std::pair<uint32_t, uint32_t>, ActorError> place_message(
      ActorContext& ctx, const Envelope& e, std::span<const uint8_t> payload);

  WasmActorConfig config_;
  std::array<size_t, size_t(Export::Count)> exports_;  // index in the module's exports
  std::unique_ptr<WasmInstance> instance_;
  int32_t state_ = 0;
  ActorContext* current_ = nullptr;  // the context of the call in progress (imports use it)
  uint64_t last_call_fuel_ = 0;
  bool metered_ = false;  // the module exports pd_fuel
};

// A factory for ChildSpec: checks the module first (an ABI mismatch fails the spawn's start
// with ActorError::Init naming it).
ActorFactory wasm_actor_factory(WasmActorConfig config);

}  // namespace pd
