#include "native_library.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "plugin_send.h"

namespace pd::detail {

namespace {

PluginError error(PluginError::Kind kind, const std::string& path, std::string message) {
  return PluginError{kind, path, std::move(message)};
}

// dlopen hands back the library already in memory when the same file (by path or inode) is
// open, so a second load would share the first one's code and globals: init twice over one
// state, the first load's shutdown under the second one's feet, a rebuilt file never read.
// Each load therefore opens a private copy of the file's bytes in an anonymous memory file.
// The fd stays open as long as the library is loaded: dlopen recognises a library it has by
// its path too, and a closed fd's number (so its /proc path) is soon someone else's.
struct PrivateCopy {
  void* handle;
  int fd;
};

Expected<PrivateCopy, PluginError> open_private_copy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Unexpected{error(PluginError::Kind::LoadFailed, path,
                            std::string("cannot open: ") + std::strerror(errno))};
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string name = "pd-plugin:" + std::filesystem::path(path).filename().string();
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0)
    return Unexpected{error(PluginError::Kind::LoadFailed, path,
                            std::string("memfd_create: ") + std::strerror(errno))};
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Unexpected{error(PluginError::Kind::LoadFailed, path,
                              std::string("copying it to memory: ") + std::strerror(err))};
    }
    written += size_t(n);
  }
  // RTLD_LOCAL: two plugins may both define pd_actor_create; each is resolved in its own
  // library. RTLD_NOW: an unresolved symbol is a load error now, not a crash mid-message.
  std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
  void* handle = dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    ::close(fd);
    const char* why = dlerror();
    std::string reason = why ? why : "dlopen failed";
    // dlerror names the /proc path of the copy; the user knows the file by its own name.
    if (size_t at = reason.find(fd_path); at != std::string::npos)
      reason.replace(at, fd_path.size(), path);
    return Unexpected{error(PluginError::Kind::LoadFailed, path, reason)};
  }
  return PrivateCopy{handle, fd};
}

}  // namespace

Expected<std::shared_ptr<NativeLibrary>, PluginError> NativeLibrary::open(const std::string& path) {
  auto opened = open_private_copy(path);
  if (!opened) return Unexpected{opened.error()};
  void* handle = opened->handle;
  std::shared_ptr<NativeLibrary> lib(new NativeLibrary());
  lib->handle_ = handle;  // from here on, the destructor closes it
  lib->copy_fd_ = opened->fd;
  lib->path_ = path;
  auto find = [&](const char* symbol) { return dlsym(handle, symbol); };
  void* init = find("pd_plugin_init");
  lib->shutdown_ = reinterpret_cast<pd_plugin_shutdown_fn>(find("pd_plugin_shutdown"));
  lib->create = reinterpret_cast<pd_actor_create_fn>(find("pd_actor_create"));
  lib->destroy = reinterpret_cast<pd_actor_destroy_fn>(find("pd_actor_destroy"));
  lib->on_start = reinterpret_cast<pd_actor_on_start_fn>(find("pd_actor_on_start"));
  lib->on_message = reinterpret_cast<pd_actor_on_message_fn>(find("pd_actor_on_message"));
  lib->on_stop = reinterpret_cast<pd_actor_on_stop_fn>(find("pd_actor_on_stop"));
  std::string missing;
  auto require = [&](const void* f, const char* name) {
    if (f == nullptr) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  require(init, "pd_plugin_init");
  require(reinterpret_cast<void*>(lib->shutdown_), "pd_plugin_shutdown");
  require(reinterpret_cast<void*>(lib->create), "pd_actor_create");
  require(reinterpret_cast<void*>(lib->destroy), "pd_actor_destroy");
  require(reinterpret_cast<void*>(lib->on_message), "pd_actor_on_message");
  if (!missing.empty()) {
    lib->shutdown_ = nullptr;  // never initialized: nothing to shut down
    return Unexpected{error(PluginError::Kind::AbiMismatch, path,
                            "not a Palladium plugin: it does not export " + missing +
                                " (the C ABI v1 of sdk/pd_plugin.h)")};
  }
  pd_plugin_shutdown_fn shutdown = lib->shutdown_;
  lib->shutdown_ = nullptr;  // armed only once init succeeded with our ABI
  const PdPluginInfo* info = reinterpret_cast<pd_plugin_init_fn>(init)();
  if (info == nullptr)
    return Unexpected{error(PluginError::Kind::InitFailed, path, "pd_plugin_init returned NULL")};
  // A plugin of another ABI version may lay PdPluginInfo out differently: read only the
  // version before trusting the rest, and call nothing else of it (not even its shutdown).
  if (info->abi_version != PD_ABI_VERSION)
    return Unexpected{error(PluginError::Kind::AbiMismatch, path,
                            "built against plugin ABI version " +
                                std::to_string(info->abi_version) + "; this host speaks " +
                                std::to_string(PD_ABI_VERSION) +
                                " (rebuild it with this release's sdk/pd_plugin.h)")};
  lib->shutdown_ = shutdown;
  lib->abi_version_ = info->abi_version;
  if (info->name == nullptr || info->name[0] == '\0')
    return Unexpected{error(PluginError::Kind::InitFailed, path,
                            "pd_plugin_init returned a PdPluginInfo without a name")};
  lib->name_ = info->name;
  lib->version_ = info->version ? info->version : "";
  if (info->actor_type_count > 0 && info->actor_types == nullptr)
    return Unexpected{error(PluginError::Kind::InitFailed, path,
                            "PdPluginInfo lists " + std::to_string(info->actor_type_count) +
                                " actor types but actor_types is NULL")};
  for (uint32_t i = 0; i < info->actor_type_count; ++i) {
    const char* t = info->actor_types[i];
    if (t == nullptr || t[0] == '\0')
      return Unexpected{error(PluginError::Kind::InitFailed, path,
                              "PdPluginInfo's actor type " + std::to_string(i) + " is empty")};
    lib->actor_types_.emplace_back(t);
  }
  if (lib->actor_types_.empty())
    return Unexpected{error(PluginError::Kind::InitFailed, path,
                            "PdPluginInfo lists no actor types: the plugin offers nothing")};
  return lib;
}

NativeLibrary::~NativeLibrary() {
  if (shutdown_) shutdown_();
  if (handle_) dlclose(handle_);
  if (copy_fd_ >= 0) ::close(copy_fd_);
}

const PdHostVtable NativeActor::kVtable = {PD_ABI_VERSION, &NativeActor::host_send,
                                           &NativeActor::host_now_micros, &NativeActor::host_log};

NativeActor::NativeActor(std::shared_ptr<const NativeLibrary> library, std::string type_name,
                         std::vector<uint8_t> config, NamespacePolicy policy,
                         std::shared_ptr<LiveCount> live)
    : library_(std::move(library)),
      type_name_(std::move(type_name)),
      config_(std::move(config)),
      policy_(std::move(policy)),
      live_(std::move(live)) {
  if (live_) live_->n.fetch_add(1, std::memory_order_relaxed);
}

NativeActor::~NativeActor() {
  if (object_) library_->destroy(object_);
  if (live_) live_->n.fetch_sub(1, std::memory_order_relaxed);
}

NativeActor::Context* NativeActor::enter(ActorContext& ctx) {
  current_ = &ctx;
  context_.host = &kVtable;
  u128 self = ctx.self().value();
  context_.self = pd_addr{uint64_t(self), uint64_t(self >> 64)};
  context_.host_data = nullptr;
  context_.actor = this;
  return &context_;
}

int32_t NativeActor::host_send(PdActorContext* pctx, const uint8_t* envelope,
                               const uint8_t* payload, uint32_t payload_len) {
  if (pctx == nullptr) return PD_SEND_REFUSED;
  NativeActor* self = static_cast<Context*>(pctx)->actor;
  if (self->current_ == nullptr || envelope == nullptr) return PD_SEND_REFUSED;
  if (payload == nullptr && payload_len > 0) return PD_SEND_OUT_OF_BOUNDS;
  Envelope e = Envelope::read_from(envelope);
  return plugin_send(*self->current_, self->policy_, e, {payload, payload_len});
}

uint64_t NativeActor::host_now_micros(PdActorContext* pctx) {
  if (pctx == nullptr) return 0;
  NativeActor* self = static_cast<Context*>(pctx)->actor;
  return self->current_ ? uint64_t(to_micros(self->current_->now())) : 0;
}

void NativeActor::host_log(PdActorContext* pctx, int32_t level, const char* message, uint32_t len) {
  if (pctx == nullptr || (message == nullptr && len > 0)) return;
  NativeActor* self = static_cast<Context*>(pctx)->actor;
  if (self->current_) self->current_->log(level, std::string_view(message, len));
}

HandlerResult NativeActor::on_start(ActorContext& ctx) {
  object_ = library_->create(type_name_.data(), uint32_t(type_name_.size()), config_.data(),
                             uint32_t(config_.size()));
  if (object_ == nullptr)
    return Unexpected{ActorError::init("pd_actor_create(\"" + type_name_ + "\") of plugin '" +
                                       library_->name() + "' returned NULL")};
  if (!library_->on_start) return {};
  int32_t code = library_->on_start(object_, enter(ctx));
  current_ = nullptr;
  if (code != PD_OK)
    return Unexpected{ActorError::init("pd_actor_on_start of plugin '" + library_->name() +
                                       "' returned " + std::to_string(code))};
  return {};
}

HandlerResult NativeActor::on_message(ActorContext& ctx, const Envelope& envelope,
                                      MessagePayload& payload) {
  if (payload.is_local())
    return Unexpected{ActorError::handler(
        "a local payload of type " + std::string(payload.local_type_name()) +
        " cannot reach a native plugin actor: send serialized bytes (MessagePayload::serialized)")};
  std::span<const uint8_t> bytes = payload.bytes();
  Envelope e = envelope;
  e.payload_len = uint32_t(bytes.size());
  uint8_t env_bytes[Envelope::kSize];
  e.write_to(env_bytes);
  int32_t code =
      library_->on_message(object_, enter(ctx), env_bytes, bytes.data(), uint32_t(bytes.size()));
  current_ = nullptr;
  if (code != PD_OK)
    return Unexpected{ActorError::handler("pd_actor_on_message of plugin '" + library_->name() +
                                          "' returned " + std::to_string(code))};
  return {};
}

void NativeActor::on_stop(ActorContext& ctx, const StopReason& reason) {
  if (object_ == nullptr || !library_->on_stop) return;
  library_->on_stop(object_, enter(ctx), reason.abi_code());
  current_ = nullptr;
}

}  // namespace pd::detail
