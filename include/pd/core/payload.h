// MessagePayload: what travels behind an Envelope. Either
//   - Local: a C++ object moved from sender to receiver, never serialized (in-process sends);
//     objects up to kInlineSize bytes live inline, so a typical message allocates nothing;
//   - Serialized: bytes (from the network, a WASM guest or a plugin); up to kInlineSize of
//     them are kept inline too (a copy from a span), more in a vector;
//   - Empty.
// Typed extraction fails with PayloadError::TypeMismatch (a local object of another type) or
// PayloadError::WrongVariant (bytes or nothing where an object was expected).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pd/core/errors.h"
#include "pd/core/expected.h"
#include "pd/core/type_tag.h"

namespace pd {

class MessagePayload {
 public:
  static constexpr size_t kInlineSize = 32;
  enum class Kind : uint8_t { Empty, Local, Serialized };

  MessagePayload() = default;
  MessagePayload(MessagePayload&& o) noexcept { move_from(o); }
  MessagePayload& operator=(MessagePayload&& o) noexcept {
    if (this != &o) {
      reset();
      move_from(o);
    }
    return *this;
  }
  MessagePayload(const MessagePayload&) = delete;
  MessagePayload& operator=(const MessagePayload&) = delete;
  ~MessagePayload() { reset(); }

  template <class T>
  static MessagePayload local(T value) {
    using U = std::decay_t<T>;
    static_assert(std::is_nothrow_move_constructible_v<U> || !fits_inline<U>(),
                  "inline payloads must be nothrow-movable");
    MessagePayload p;
    p.kind_ = Kind::Local;
    if constexpr (fits_inline<U>()) {
      ::new (static_cast<void*>(p.storage_.inline_bytes)) U(std::move(value));
      p.ops_ = &kInlineOps<U>;
    } else {
      p.storage_.heap = new U(std::move(value));
      p.ops_ = &kHeapOps<U>;
    }
    return p;
  }
  static MessagePayload serialized(std::vector<uint8_t> bytes) {
    MessagePayload p;
    p.kind_ = Kind::Serialized;
    ::new (static_cast<void*>(&p.storage_.bytes)) std::vector<uint8_t>(std::move(bytes));
    return p;
  }
  static MessagePayload serialized(std::span<const uint8_t> bytes) {
    // One object returned on every path, so it is built in place (a second return object
    // made g++ copy it, reading back the bytes just written: a store-forwarding stall).
    MessagePayload p;
    if (bytes.size() > kInlineSize) {
      ::new (static_cast<void*>(&p.storage_.bytes))
          std::vector<uint8_t>(bytes.begin(), bytes.end());
    } else {
      p.inline_len_ = uint8_t(bytes.size());
      if (!bytes.empty()) std::memcpy(p.storage_.inline_bytes, bytes.data(), bytes.size());
    }
    p.kind_ = Kind::Serialized;
    return p;
  }

  Kind kind() const { return kind_; }
  bool is_empty() const { return kind_ == Kind::Empty; }
  bool is_local() const { return kind_ == Kind::Local; }
  bool is_serialized() const { return kind_ == Kind::Serialized; }
  // Type tag of a local object, 0 otherwise.
  uint64_t local_type_tag() const { return kind_ == Kind::Local ? ops_->type_tag : 0; }
  std::string_view local_type_name() const {
    return kind_ == Kind::Local ? ops_->type_name : std::string_view();
  }

  template <class T>
  bool is() const {
    return kind_ == Kind::Local && ops_->type_tag == type_tag_v<T>;
  }
  // The local object if it is a T, nullptr otherwise.
  template <class T>
  T* get_if() {
    if (!is<T>()) return nullptr;
    return static_cast<T*>(object_address());
  }
  template <class T>
  Expected<T*, PayloadError> get() {
    if (kind_ != Kind::Local) return Unexpected{PayloadError::WrongVariant};
    if (ops_->type_tag != type_tag_v<T>) return Unexpected{PayloadError::TypeMismatch};
    return static_cast<T*>(object_address());
  }
  // Moves the local T out; the payload becomes empty on success and is unchanged on error.
  template <class T>
  Expected<T, PayloadError> take() {
    auto p = get<T>();
    if (!p) return Unexpected{p.error()};
    T out(std::move(*p.value()));
    reset();
    return out;
  }

  // The bytes of a serialized payload; an empty span for any other kind.
  std::span<const uint8_t> bytes() const {
    if (kind_ != Kind::Serialized) return {};
    if (inline_len_ != kInVector) return {storage_.inline_bytes, inline_len_};
    return {storage_.bytes.data(), storage_.bytes.size()};
  }
  Expected<std::vector<uint8_t>, PayloadError> take_bytes() {
    if (kind_ != Kind::Serialized) return Unexpected{PayloadError::WrongVariant};
    if (inline_len_ != kInVector) {
      std::vector<uint8_t> out(storage_.inline_bytes, storage_.inline_bytes + inline_len_);
      reset();
      return out;
    }
    std::vector<uint8_t> out = std::move(storage_.bytes);
    reset();
    return out;
  }

  // A copy, where one can be made without running user code: serialized bytes, or a local
  // object that is trivially copyable. Empty otherwise (and for an empty payload).
  bool can_clone() const {
    return kind_ == Kind::Serialized || (kind_ == Kind::Local && ops_->trivial);
  }
  MessagePayload clone() const {
    MessagePayload p;
    if (kind_ == Kind::Serialized) {
      p = serialized(bytes());
    } else if (kind_ == Kind::Local && ops_->trivial) {
      p.kind_ = kind_;
      p.ops_ = ops_;
      std::memcpy(p.storage_.inline_bytes, storage_.inline_bytes, kInlineSize);
    }
    return p;
  }

  void reset() {
    if (kind_ == Kind::Local) {
      if (!ops_->trivial) ops_->destroy(storage_ptr());
    } else if (kind_ == Kind::Serialized && inline_len_ == kInVector) {
      storage_.bytes.~vector();
    }
    kind_ = Kind::Empty;
    ops_ = nullptr;
    inline_len_ = kInVector;
  }

 private:
  struct Ops {
    uint64_t type_tag;
    std::string_view type_name;
    bool trivial;  // inline and trivially copyable: moved by copying bytes, never destroyed
    bool heap;     // stored behind a pointer rather than inline
    void (*move)(void* dst, void* src);  // move-construct into dst, destroy src
    void (*destroy)(void*);
  };
  template <class U>
  static constexpr bool fits_inline() {
    return sizeof(U) <= kInlineSize && alignof(U) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<U>;
  }
  template <class U>
  static constexpr Ops kInlineOps = {
      type_tag_v<U>,
      type_name<U>(),
      std::is_trivially_copyable_v<U>&& std::is_trivially_destructible_v<U>,
      false,
      [](void* dst, void* src) {
        U* s = static_cast<U*>(src);
        ::new (dst) U(std::move(*s));
        s->~U();
      },
      [](void* p) { static_cast<U*>(p)->~U(); }};
  template <class U>
  static constexpr Ops kHeapOps = {
      type_tag_v<U>,
      type_name<U>(),
      false,
      true,
      [](void* dst, void* src) { *static_cast<void**>(dst) = *static_cast<void**>(src); },
      [](void* p) { delete *static_cast<U**>(p); }};

  void* storage_ptr() { return static_cast<void*>(&storage_); }
  void* object_address() { return ops_->heap ? storage_.heap : storage_ptr(); }
  void move_from(MessagePayload& o) noexcept {
    kind_ = o.kind_;
    ops_ = o.ops_;
    if (kind_ == Kind::Local) {
      if (ops_->trivial)
        std::memcpy(storage_.inline_bytes, o.storage_.inline_bytes, kInlineSize);
      else
        ops_->move(storage_ptr(), o.storage_ptr());
    } else if (kind_ == Kind::Serialized) {
      inline_len_ = o.inline_len_;
      if (inline_len_ != kInVector) {
        std::memcpy(storage_.inline_bytes, o.storage_.inline_bytes, kInlineSize);
      } else {
        ::new (static_cast<void*>(&storage_.bytes))
            std::vector<uint8_t>(std::move(o.storage_.bytes));
        o.storage_.bytes.~vector();
      }
    }
    o.kind_ = Kind::Empty;
    o.ops_ = nullptr;
    o.inline_len_ = kInVector;
  }

  // A serialized payload's bytes: how many are inline, or kInVector when they are in `bytes`.
  static constexpr uint8_t kInVector = 0xff;
  static_assert(kInlineSize < kInVector);

  const Ops* ops_ = nullptr;
  Kind kind_ = Kind::Empty;
  uint8_t inline_len_ = kInVector;
  union Storage {
    // Zeroed: moves copy the inline bytes whole, and g++ cannot see which member is live.
    Storage() : inline_bytes{} {}
    ~Storage() {}
    alignas(std::max_align_t) unsigned char inline_bytes[kInlineSize];
    void* heap;
    std::vector<uint8_t> bytes;
  } storage_;
};

static_assert(sizeof(MessagePayload) <= 48,
              "a payload must stay small: it sits in every mailbox slot");

}  // namespace pd
