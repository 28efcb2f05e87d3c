// The error vocabulary shared by every layer: what an actor's handler can fail with, what a
// send or an ask can fail with, and why an actor stopped.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "pd/core/expected.h"

namespace pd {

// Why a handler (on_start / on_message) failed. Panic carries the text of an exception that
// escaped a handler; WasmTrap the trap message of a WASM guest.
struct ActorError {
  enum class Kind : uint8_t { Init, Handler, Panic, ResourceExhausted, WasmTrap };
  Kind kind = Kind::Handler;
  std::string detail;

  static ActorError init(std::string d = {}) { return {Kind::Init, std::move(d)}; }
  static ActorError handler(std::string d = {}) { return {Kind::Handler, std::move(d)}; }
  static ActorError panic(std::string what) { return {Kind::Panic, std::move(what)}; }
  static ActorError resource_exhausted(std::string d = {}) {
    return {Kind::ResourceExhausted, std::move(d)};
  }
  static ActorError wasm_trap(std::string msg) { return {Kind::WasmTrap, std::move(msg)}; }
  bool operator==(const ActorError&) const = default;
};
const char* to_string(ActorError::Kind k);
std::string to_string(const ActorError& e);  // "Panic(boom)", "Handler"

enum class SendError : uint8_t {
  MailboxFull,          // the receiver's bounded mailbox (or a bounded queue on the way) is full
  ConnectionFailed,     // a remote node could not be reached
  ActorStopped,         // no live actor has that address (stopped, or an older generation)
  Unroutable,           // no route to the destination (unknown path, other node unknown)
  PolicyViolation,      // the sender's namespace policy forbids this destination
  SerializationFailed,  // a payload could not be turned into bytes for the wire
  Unbound,              // the sender is not bound to a running engine
};
const char* to_string(SendError e);
using SendResult = Expected<void, SendError>;

struct AskError {
  enum class Kind : uint8_t { Timeout, NoResponse, Send };
  Kind kind = Kind::Timeout;
  SendError send_error = SendError::MailboxFull;  // meaningful for Kind::Send only

  static AskError timeout() { return {Kind::Timeout, {}}; }
  static AskError no_response() { return {Kind::NoResponse, {}}; }
  static AskError send(SendError e) { return {Kind::Send, e}; }
  bool operator==(const AskError&) const = default;
};
std::string to_string(const AskError& e);

struct StopReason {
  enum class Kind : uint8_t {
    Normal,
    Requested,
    Supervisor,
    Hierarchical,
    Shutdown,
    Killed,
    Error
  };
  Kind kind = Kind::Normal;
  ActorError error;  // meaningful for Kind::Error only

  static StopReason normal() { return {Kind::Normal, {}}; }
  static StopReason requested() { return {Kind::Requested, {}}; }
  static StopReason supervisor() { return {Kind::Supervisor, {}}; }
  static StopReason hierarchical() { return {Kind::Hierarchical, {}}; }
  static StopReason shutdown() { return {Kind::Shutdown, {}}; }
  static StopReason killed() { return {Kind::Killed, {}}; }
  static StopReason failed(ActorError e) { return {Kind::Error, std::move(e)}; }
  bool is_error() const { return kind == Kind::Error; }
  // The guest ABI's stop reason code (Normal 0 ... Killed 4, Error -1).
  int32_t abi_code() const;
  bool operator==(const StopReason&) const = default;
};
std::string to_string(const StopReason& r);  // "Normal", "Error(Panic(boom))"

// Why a typed extraction from a MessagePayload failed.
enum class PayloadError : uint8_t {
  TypeMismatch,  // a local payload of another type
  WrongVariant,  // serialized bytes, or an empty payload, where a local object was asked for
};
const char* to_string(PayloadError e);

}  // namespace pd
