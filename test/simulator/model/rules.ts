// Which of issue 13's rules the simulator on this branch already follows. The model
// (cdp-model.ts) is written to the new rules; where the simulator does not follow one yet, its
// switch is false and the history generator steers around the cases where old and new rules
// differ, so no invariant is weakened: the histories are narrower instead. Rules now in the
// simulator (one ns per change, minimum limits, segments recoverable from their start, io
// times) are no longer switches: the model and the checks hold them unconditionally.
//
// - viewPinsRetention: an active view keeps the history its point needs. Off: a view is
//   turned off in the step that turned it on, before time or data move.
export const RULES = {
  viewPinsRetention: false
}
