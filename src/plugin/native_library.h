// A native plugin's shared library, opened with dlopen and checked against the C ABI v1 of
// sdk/pd_plugin.h; and the Actor that runs one of its actor types.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "pd/actor/actor.h"
#include "pd/core/expected.h"
#include "pd/plugin/namespace_policy.h"
#include "pd/plugin/plugin_error.h"
#include "pd_plugin.h"

namespace pd::detail {

class NativeLibrary {
 public:
  // dlopen, resolve the exports, pd_plugin_init, check the ABI version. Failures name `path`.
  static Expected<std::shared_ptr<NativeLibrary>, PluginError> open(const std::string& path);
  // pd_plugin_shutdown, then dlclose: when the registry and the last actor have let go.
  ~NativeLibrary();
  NativeLibrary(const NativeLibrary&) = delete;
  NativeLibrary& operator=(const NativeLibrary&) = delete;

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  uint32_t abi_version() const { return abi_version_; }
  const std::vector<std::string>& actor_types() const { return actor_types_; }

  pd_actor_create_fn create = nullptr;
  pd_actor_destroy_fn destroy = nullptr;
  pd_actor_on_start_fn on_start = nullptr;  // optional
  pd_actor_on_message_fn on_message = nullptr;
  pd_actor_on_stop_fn on_stop = nullptr;  // optional

 private:
  NativeLibrary() = default;
  void* handle_ = nullptr;
  int copy_fd_ = -1;  // the private copy dlopen mapped (see open_private_copy)
  pd_plugin_shutdown_fn shutdown_ = nullptr;
  std::string path_, name_, version_;
  uint32_t abi_version_ = 0;
  std::vector<std::string> actor_types_;
};

// Counts the actors alive from one loaded plugin (PluginInfo::live_actors).
struct LiveCount {
  std::atomic<uint64_t> n{0};
};

class NativeActor final : public Actor {
 public:
  NativeActor(std::shared_ptr<const NativeLibrary> library, std::string type_name,
              std::vector<uint8_t> config, NamespacePolicy policy, std::shared_ptr<LiveCount> live);
  ~NativeActor() override;

  HandlerResult on_start(ActorContext& ctx) override;
  HandlerResult on_message(ActorContext& ctx, const Envelope& envelope,
                           MessagePayload& payload) override;
  void on_stop(ActorContext& ctx, const StopReason& reason) override;

 private:
  struct Context : PdActorContext {
    NativeActor* actor;
  };
  static int32_t host_send(PdActorContext* ctx, const uint8_t* envelope, const uint8_t* payload,
                           uint32_t payload_len);
  static uint64_t host_now_micros(PdActorContext* ctx);
  static void host_log(PdActorContext* ctx, int32_t level, const char* message, uint32_t len);
  static const PdHostVtable kVtable;
  Context* enter(ActorContext& ctx);

  std::shared_ptr<const NativeLibrary> library_;
  std::string type_name_;
  std::vector<uint8_t> config_;
  NamespacePolicy policy_;
  std::shared_ptr<LiveCount> live_;
  void* object_ = nullptr;  // what pd_actor_create returned
  Context context_{};
  ActorContext* current_ = nullptr;  // the engine's context of the call in progress
};

}  // namespace pd::detail
