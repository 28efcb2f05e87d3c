// The shared error vocabulary: ActorError, SendError, AskError, StopReason.

#include "pd/core/errors.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using pd::ActorError;
using pd::AskError;
using pd::SendError;
using pd::StopReason;

// ---------------------------------------------------------------------------------------------
// SendError

TEST(SendError, every_kind_prints_as_its_name) {
  EXPECT_STREQ(pd::to_string(SendError::MailboxFull), "MailboxFull");
  EXPECT_STREQ(pd::to_string(SendError::ConnectionFailed), "ConnectionFailed");
  EXPECT_STREQ(pd::to_string(SendError::ActorStopped), "ActorStopped");
  EXPECT_STREQ(pd::to_string(SendError::Unroutable), "Unroutable");
  EXPECT_STREQ(pd::to_string(SendError::PolicyViolation), "PolicyViolation");
  EXPECT_STREQ(pd::to_string(SendError::SerializationFailed), "SerializationFailed");
  EXPECT_STREQ(pd::to_string(SendError::Unbound), "Unbound");
}

// ---------------------------------------------------------------------------------------------
// ActorError

TEST(ActorError, every_kind_prints_as_its_name) {
  EXPECT_STREQ(pd::to_string(ActorError::Kind::Init), "Init");
  EXPECT_STREQ(pd::to_string(ActorError::Kind::Handler), "Handler");
  EXPECT_STREQ(pd::to_string(ActorError::Kind::Panic), "Panic");
  EXPECT_STREQ(pd::to_string(ActorError::Kind::ResourceExhausted), "ResourceExhausted");
  EXPECT_STREQ(pd::to_string(ActorError::Kind::WasmTrap), "WasmTrap");
}

TEST(ActorError, without_detail_prints_only_the_kind) {
  EXPECT_EQ(pd::to_string(ActorError::init()), "Init");
  EXPECT_EQ(pd::to_string(ActorError::handler()), "Handler");
  EXPECT_EQ(pd::to_string(ActorError::resource_exhausted()), "ResourceExhausted");
  EXPECT_EQ(pd::to_string(ActorError::panic("")), "Panic");
  EXPECT_EQ(pd::to_string(ActorError::wasm_trap("")), "WasmTrap");
}

TEST(ActorError, with_detail_prints_the_detail_in_parentheses) {
  EXPECT_EQ(pd::to_string(ActorError::panic("boom")), "Panic(boom)");
  EXPECT_EQ(pd::to_string(ActorError::wasm_trap("unreachable")), "WasmTrap(unreachable)");
  EXPECT_EQ(pd::to_string(ActorError::init("no config")), "Init(no config)");
  EXPECT_EQ(pd::to_string(ActorError::handler("bad input")), "Handler(bad input)");
  EXPECT_EQ(pd::to_string(ActorError::resource_exhausted("fuel")), "ResourceExhausted(fuel)");
}

TEST(ActorError, factories_set_kind_and_detail) {
  ActorError e = ActorError::panic("boom");
  EXPECT_EQ(e.kind, ActorError::Kind::Panic);
  EXPECT_EQ(e.detail, "boom");
  EXPECT_EQ(ActorError::wasm_trap("t").kind, ActorError::Kind::WasmTrap);
  EXPECT_EQ(ActorError::init().kind, ActorError::Kind::Init);
  EXPECT_EQ(ActorError::handler().kind, ActorError::Kind::Handler);
  EXPECT_EQ(ActorError::resource_exhausted().kind, ActorError::Kind::ResourceExhausted);
}

TEST(ActorError, equality_compares_kind_and_detail) {
  EXPECT_EQ(ActorError::panic("boom"), ActorError::panic("boom"));
  EXPECT_FALSE(ActorError::panic("boom") == ActorError::panic("bang"));
  EXPECT_FALSE(ActorError::panic("boom") == ActorError::handler("boom"));
}

// ---------------------------------------------------------------------------------------------
// AskError

TEST(AskError, timeout_prints_as_Timeout) {
  EXPECT_EQ(pd::to_string(AskError::timeout()), "Timeout");
}

TEST(AskError, no_response_prints_as_NoResponse) {
  EXPECT_EQ(pd::to_string(AskError::no_response()), "NoResponse");
}

TEST(AskError, send_prints_the_send_error_in_parentheses) {
  EXPECT_EQ(pd::to_string(AskError::send(SendError::MailboxFull)), "Send(MailboxFull)");
  EXPECT_EQ(pd::to_string(AskError::send(SendError::ActorStopped)), "Send(ActorStopped)");
  EXPECT_EQ(pd::to_string(AskError::send(SendError::Unbound)), "Send(Unbound)");
}

TEST(AskError, send_carries_its_send_error) {
  AskError e = AskError::send(SendError::Unroutable);
  EXPECT_EQ(e.kind, AskError::Kind::Send);
  EXPECT_EQ(e.send_error, SendError::Unroutable);
  EXPECT_FALSE(e == AskError::send(SendError::MailboxFull));
}

// ---------------------------------------------------------------------------------------------
// StopReason

TEST(StopReason, every_non_error_kind_prints_as_its_name) {
  EXPECT_EQ(pd::to_string(StopReason::normal()), "Normal");
  EXPECT_EQ(pd::to_string(StopReason::requested()), "Requested");
  EXPECT_EQ(pd::to_string(StopReason::supervisor()), "Supervisor");
  EXPECT_EQ(pd::to_string(StopReason::hierarchical()), "Hierarchical");
  EXPECT_EQ(pd::to_string(StopReason::shutdown()), "Shutdown");
  EXPECT_EQ(pd::to_string(StopReason::killed()), "Killed");
}

TEST(StopReason, error_prints_the_actor_error_in_parentheses) {
  EXPECT_EQ(pd::to_string(StopReason::failed(ActorError::panic("boom"))), "Error(Panic(boom))");
  EXPECT_EQ(pd::to_string(StopReason::failed(ActorError::handler())), "Error(Handler)");
}

TEST(StopReason, only_the_error_kind_is_an_error) {
  EXPECT_TRUE(StopReason::failed(ActorError::init()).is_error());
  EXPECT_FALSE(StopReason::normal().is_error());
  EXPECT_FALSE(StopReason::requested().is_error());
  EXPECT_FALSE(StopReason::supervisor().is_error());
  EXPECT_FALSE(StopReason::hierarchical().is_error());
  EXPECT_FALSE(StopReason::shutdown().is_error());
  EXPECT_FALSE(StopReason::killed().is_error());
}

TEST(StopReason, failed_keeps_its_actor_error) {
  StopReason r = StopReason::failed(ActorError::wasm_trap("oob"));
  EXPECT_EQ(r.kind, StopReason::Kind::Error);
  EXPECT_EQ(r.error, ActorError::wasm_trap("oob"));
}

TEST(StopReason, abi_code_of_Normal_is_0) {
  EXPECT_EQ(StopReason::normal().abi_code(), 0);
}

TEST(StopReason, abi_code_of_Requested_is_1) {
  EXPECT_EQ(StopReason::requested().abi_code(), 1);
}

TEST(StopReason, abi_code_of_Supervisor_is_2) {
  EXPECT_EQ(StopReason::supervisor().abi_code(), 2);
}

TEST(StopReason, abi_code_of_Hierarchical_is_2) {
  EXPECT_EQ(StopReason::hierarchical().abi_code(), 2);
}

TEST(StopReason, abi_code_of_Shutdown_is_3) {
  EXPECT_EQ(StopReason::shutdown().abi_code(), 3);
}

TEST(StopReason, abi_code_of_Killed_is_4) {
  EXPECT_EQ(StopReason::killed().abi_code(), 4);
}

TEST(StopReason, abi_code_of_Error_is_minus_1) {
  EXPECT_EQ(StopReason::failed(ActorError::panic("boom")).abi_code(), -1);
  EXPECT_EQ(StopReason::failed(ActorError::init()).abi_code(), -1);
}

}  // namespace
