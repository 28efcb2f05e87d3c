;; Replies to every message with its own payload: the reply goes back to the sender.
(module
  (import "env" "pd_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "pd_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 4096) "echo")
  (func (export "pd_actor_on_message")
        (param $state i32) (param $ctx i32) (param $env i32) (param $p i32) (param $len i32)
        (result i32)
    (call $log (i32.const 2) (i32.const 4096) (i32.const 4))
    (memory.copy (i32.const 2048) (local.get $env) (i32.const 80))
    ;; destination := the original source
    (i64.store (i32.const 2080) (i64.load (i32.add (local.get $env) (i32.const 16))))
    (i64.store (i32.const 2088) (i64.load (i32.add (local.get $env) (i32.const 24))))
    (call $send (i32.const 2048) (i32.const 80) (local.get $p) (local.get $len))))
