;; Loops forever on every message: only fuel stops it.
(module
  (memory (export "memory") 1)
  (func (export "pd_actor_on_message")
        (param i32 i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
