#include "pd/core/errors.h"

namespace pd {

const char* to_string(ActorError::Kind k) {
  switch (k) {
    case ActorError::Kind::Init: return "Init";
    case ActorError::Kind::Handler: return "Handler";
    case ActorError::Kind::Panic: return "Panic";
    case ActorError::Kind::ResourceExhausted: return "ResourceExhausted";
    case ActorError::Kind::WasmTrap: return "WasmTrap";
  }
  return "?";
}

std::string to_string(const ActorError& e) {
  std::string s = to_string(e.kind);
  if (!e.detail.empty()) s += "(" + e.detail + ")";
  return s;
}

const char* to_string(SendError e) {
  switch (e) {
    case SendError::MailboxFull: return "MailboxFull";
    case SendError::ConnectionFailed: return "ConnectionFailed";
    case SendError::ActorStopped: return "ActorStopped";
    case SendError::Unroutable: return "Unroutable";
    case SendError::PolicyViolation: return "PolicyViolation";
    case SendError::SerializationFailed: return "SerializationFailed";
    case SendError::Unbound: return "Unbound";
  }
  return "?";
}

std::string to_string(const AskError& e) {
  switch (e.kind) {
    case AskError::Kind::Timeout: return "Timeout";
    case AskError::Kind::NoResponse: return "NoResponse";
    case AskError::Kind::Send: return std::string("Send(") + to_string(e.send_error) + ")";
  }
  return "?";
}

int32_t StopReason::abi_code() const {
  switch (kind) {
    case Kind::Normal: return 0;
    case Kind::Requested: return 1;
    case Kind::Supervisor:
    case Kind::Hierarchical: return 2;
    case Kind::Shutdown: return 3;
    case Kind::Killed: return 4;
    case Kind::Error: return -1;
  }
  return -1;
}

std::string to_string(const StopReason& r) {
  switch (r.kind) {
    case StopReason::Kind::Normal: return "Normal";
    case StopReason::Kind::Requested: return "Requested";
    case StopReason::Kind::Supervisor: return "Supervisor";
    case StopReason::Kind::Hierarchical: return "Hierarchical";
    case StopReason::Kind::Shutdown: return "Shutdown";
    case StopReason::Kind::Killed: return "Killed";
    case StopReason::Kind::Error: return "Error(" + to_string(r.error) + ")";
  }
  return "?";
}

const char* to_string(PayloadError e) {
  return e == PayloadError::TypeMismatch ? "TypeMismatch" : "WrongVariant";
}

}  // namespace pd
